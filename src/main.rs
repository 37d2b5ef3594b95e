//! The `hephaestus` executable: hands over to [`hephaestus::cli::main`].

fn main() -> std::process::ExitCode {
    hephaestus::cli::main()
}
