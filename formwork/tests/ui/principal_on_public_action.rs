use formwork::{identity::Principal, ActionError};

#[formwork::action(access = Public)]
pub async fn who_am_i(me: Principal) -> Result<String, ActionError> {
    Ok(me.username)
}

fn main() {}
