fn main() -> std::process::ExitCode {
    tinct::cli::main()
}
