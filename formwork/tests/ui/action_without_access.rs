use formwork::ActionError;

#[formwork::action(rate_limit = per_ip(5).per_minute())]
pub async fn send_note(note: String) -> Result<(), ActionError> {
    let _ = note;
    Ok(())
}

fn main() {}
