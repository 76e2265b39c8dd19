use formwork::ActionError;

#[formwork::action(access = Public, revalidates = ["posts", "the post"])]
pub async fn send_note(note: String) -> Result<(), ActionError> {
    let _ = note;
    Ok(())
}

fn main() {}
