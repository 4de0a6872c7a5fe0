//! The `safetally` command: a thin layer over the library, one file per subcommand in `cli/`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
