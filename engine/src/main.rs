//! The `sluice` binary: parse the command line, run it, turn the outcome into an exit code.
//! Nothing else lives here.

fn main() -> std::process::ExitCode {
    sluice::cli::main()
}
