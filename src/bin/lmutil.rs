//! The multi-call administration tool: `lmutil CMD ARGS` or a link named CMD.

fn main() {
    std::process::exit(lmutil::cli::main(std::env::args_os().collect()));
}
