//! Every name that crosses between the browser and the server: the hidden fields formwork adds
//! to forms, its headers, the attributes and elements its browser side looks for, its cookies
//! and the live stream's route. One place, so the two sides cannot drift apart. An app never
//! writes these itself; a test or a proxy rule may read them.

// Hidden form fields: all start with `__fw`, the pipeline reads them, and none is kept as the
// user's input.

/// What every hidden field formwork adds to a form starts with.
pub const FIELD_PREFIX: &str = "__fw";
/// The hidden field that carries the page a form was rendered on.
pub const RETURN_FIELD: &str = "__fw_return";
/// The hidden field that names the form's secret fields (comma-separated), never kept.
pub const SECRET_FIELD: &str = "__fw_secret";
/// The hidden field with the rendered form's one-time submission token (signed: it is also
/// the form token that shows a post's provenance, see [`crate::origin`]).
pub const ONCE_FIELD: &str = "__fw_once";
/// The hidden field that names the input telling one of several forms to the same action
/// apart (see [`FormState::for_item`](crate::FormState::for_item)); that input is kept even
/// after a success, so the outcome finds its way back to the right form.
pub const ITEM_FIELD: &str = "__fw_item";
/// The hidden field of a form that many rows share (see [`crate::items`]) with the signed
/// list of the values its rows' buttons send for a [`Bound`](crate::Bound) argument.
pub const BOUND_OFFER_FIELD: &str = "__fw_offer";

// Headers.

/// Marks the page fetch of a region refresh. Such a fetch is not the user's view of the page:
/// it never takes the flash a form post left for that view (the page may be navigating to it
/// at that very moment).
pub const REFRESH_HEADER: &str = "x-formwork-refresh";
/// The page an island's call comes from: what it reads is tagged with that page, so
/// `revalidate_path` of the page purges it (see `cache::revalidate_path`).
pub const PAGE_HEADER: &str = "x-formwork-page";
/// The response header that lists what an action revalidated (`tag:news`, `path:/news`),
/// for the browser and for other instances.
pub const REVALIDATED_HEADER: &str = "x-formwork-revalidated";
/// The response header naming one action's revalidation, so it is acted on once per page.
pub const REVALIDATION_ID_HEADER: &str = "x-formwork-revalidation-id";
/// Marks a form post sent by the browser runtime: the post is a plain form post in every
/// way, but where it would be answered `303 See Other`, it is answered `204 No Content` with
/// [`LOCATION_HEADER`] instead (a script cannot see a redirect that `fetch` followed, nor the
/// headers that came with it).
pub const ENHANCED_HEADER: &str = "x-formwork-enhanced";
/// Where an enhanced form post goes next: the `Location` of the `303` it stands for.
pub const LOCATION_HEADER: &str = "x-formwork-location";

// Markup the browser side looks for.

/// The attribute that names a region in the markup.
pub const REGION_ATTRIBUTE: &str = "data-fw-region";
/// The attribute listing a region's tags, separated by spaces.
pub const TAGS_ATTRIBUTE: &str = "data-fw-tags";
/// On the root element: `open` while the page's live stream is connected, `closed` while not.
pub const LIVE_ATTRIBUTE: &str = "data-fw-live";
/// On a form, once its island is hydrated and submits through formwork.
pub const READY_ATTRIBUTE: &str = "data-fw-ready";
/// On every form formwork renders: what it is (`action`, `query` or `upload`), for the
/// browser runtime.
pub const FORM_ATTRIBUTE: &str = "data-fw-form";
/// On a field: its rule, as `kind required min max` (`text 1 2 200`), for the browser
/// runtime's checks before sending.
pub const RULE_ATTRIBUTE: &str = "data-fw-rule";
/// On a field: its rule's label, which the rule's messages name.
pub const LABEL_ATTRIBUTE: &str = "data-fw-label";
/// On a submit button: what it says while its form is in flight.
pub const PENDING_ATTRIBUTE: &str = "data-fw-pending";
/// On an error summary that stands outside its form, beside the row's button that sent it
/// (see [`crate::items`]): the form's `id`.
pub const SUMMARY_FOR_ATTRIBUTE: &str = "data-fw-for";
/// On an upload's button: what it says while the upload runs, when it cancels it.
pub const CANCEL_ATTRIBUTE: &str = "data-fw-cancel";
/// On the part of an upload form that shows its progress (a `<progress>` and a live text).
pub const PROGRESS_ATTRIBUTE: &str = "data-fw-progress";
/// On a file input: the most bytes a chosen file may have, checked before sending.
pub const MAX_BYTES_ATTRIBUTE: &str = "data-fw-max-bytes";
/// On a file input: what a file over [`MAX_BYTES_ATTRIBUTE`] is told, in the server's words.
pub const TOO_LARGE_ATTRIBUTE: &str = "data-fw-too-large";
/// On a query form: the regions that show its results, separated by spaces.
pub const REGIONS_ATTRIBUTE: &str = "data-fw-regions";
/// On a query form: how long after the last key its results follow, in milliseconds.
pub const DEBOUNCE_ATTRIBUTE: &str = "data-fw-debounce";
/// The `<meta name=…>` in which a rendered page records the live stream's position at its
/// render (see [`LivePosition`](crate::live::LivePosition)): its stream starts there, so
/// nothing in between is missed.
pub const POSITION_META: &str = "formwork-live";
/// The id of the `<template>` that holds the islands' hydration script, inert until the browser
/// runtime finds an island on the page.
pub const ISLANDS_TEMPLATE_ID: &str = "formwork-islands";
/// The id of the `<script type="application/json">` element that carries the app's overrides
/// of formwork's sentences (see [`crate::messages`]).
pub const MESSAGES_ELEMENT_ID: &str = "formwork-messages";

// Cookies. On https each name carries the `__Host-` prefix (`__Host-fw_session`); see
// `cookies::CookiePolicy`, which builds and reads every one of them.

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "fw_session";
/// The cookie that holds a flash (its signed id, or the whole flash sealed).
pub const FLASH_COOKIE: &str = "fw_flash";

// Routes.

/// What the browser runtime's address starts with (`/_formwork/runtime-<hash>.js`).
pub const RUNTIME_PREFIX: &str = "/_formwork/runtime-";
/// Where pages subscribe to revalidations: `GET /_formwork/live?path=/news&tags=news+item:7`.
pub const LIVE_PATH: &str = "/_formwork/live";
