//! `inspectorlink-backfill`: see `inspectorlink_backfill::cli` (and `--help`).

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(inspectorlink_backfill::cli::main(args).await);
}
