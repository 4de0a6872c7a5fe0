//! The `safetally` command: a thin layer over the library, one file per subcommand in `cli/`.

mod cli;

// The pipeline allocates many small strings; mimalloc handles that churn far better than the
// system allocator (measured on the link stage).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
