//! Where this site words formwork's sentences its own way; every other sentence formwork
//! shows is its English default ([`formwork::messages`]).

use formwork::messages::{Message, Messages};

/// The site's catalog, given to the builder: the server speaks it, and the pages carry it to
/// the browser, where a form checked in WASM says the same.
pub fn messages() -> Messages {
    Messages::english().set(
        Message::FixFields,
        "Some fields need attention: see the notes beside them.",
    )
}
