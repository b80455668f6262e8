//! `inspectorlink-report`: see `inspectorlink_report::cli` (and `--help`).

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(inspectorlink_report::cli::main(args).await);
}
