//! The license server daemon.

fn main() {
    std::process::exit(lmutil::server::main(std::env::args_os().collect()));
}
