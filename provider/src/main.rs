//! terraform-provider-inspectorlink: Terraform starts this binary and talks to it over gRPC
//! (protocol 6). Everything the provider does is in `provider.rs` and the folders it registers.

mod assessment_templates;
mod config;
mod diagnostics;
mod inspector2;
mod inspector2_cis_scan_configuration;
mod inspector2_configuration;
mod inspector2_coverage;
mod provider;
mod schema;
mod service_account;
mod sns_attachment;
mod tcp_nodelay;

fn main() -> std::process::ExitCode {
    // tf-provider appends a backtrace to every diagnostic when RUST_BACKTRACE is set, and
    // Terraform passes that variable through: users must read causes, not stack frames.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");
    // tonic and the AWS SDK link different rustls crypto back ends; without one chosen
    // first, rustls panics and Terraform only sees "Unrecognized remote plugin message".
    if rustls::crypto::ring::default_provider()
        .install_default()
        .is_err()
    {
        eprintln!(
            "terraform-provider-inspectorlink: a rustls crypto provider was already installed"
        );
        return std::process::ExitCode::FAILURE;
    }
    // tf-provider leaves Nagle's algorithm on for the connection Terraform calls over, which
    // makes most calls wait ~40 ms for a delayed ACK (tcp_nodelay.rs says how this avoids it).
    if let Err(err) = tcp_nodelay::set_before_terraform_connects() {
        eprintln!("terraform-provider-inspectorlink: TCP_NODELAY not set, calls may wait ~40 ms each: {err}");
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("terraform-provider-inspectorlink: starting the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(tf_provider::serve(
        "inspectorlink",
        provider::Inspectorlink::default(),
    )) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("terraform-provider-inspectorlink: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
