//! The license server daemon.

/// The daemon allocates and frees many small objects a request (names,
/// events, answers) and millions at recovery; mimalloc does this with a
/// fraction of glibc's cost (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(lmutil::server::main(std::env::args_os().collect()));
}
