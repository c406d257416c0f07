/// A failure that is not the user's options: a missing or corrupt file, a diverged run, a resume
/// that contradicts its checkpoint. Printed as one line, without the usage that follows a wrong
/// option (`ValidationError`).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
