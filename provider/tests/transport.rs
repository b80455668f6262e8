//! Issue 18, "no stall": the connection Terraform calls the provider over has TCP_NODELAY.
//! Without it most calls wait ~40 ms (Nagle's algorithm meeting Terraform's delayed ACK).
//! The socket option is read from the provider process itself (pidfd_getfd), not timed:
//! how fast calls are is `make bench`'s job (provider_get_schema).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};

use rustix::process::{pidfd_getfd, pidfd_open, Pid, PidfdFlags, PidfdGetfdFlags};

/// The provider binary, started as Terraform starts it but without PLUGIN_CLIENT_CERT, so
/// that it speaks plain HTTP/2 (the TCP socket is the same either way).
struct Provider {
    child: Child,
    stdout: BufReader<std::process::ChildStdout>,
}

impl Provider {
    fn start() -> Provider {
        let mut child = Command::new(env!("CARGO_BIN_EXE_terraform-provider-inspectorlink"))
            .env(
                "TF_PLUGIN_MAGIC_COOKIE",
                "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
            )
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .env_remove("PLUGIN_CLIENT_CERT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting the provider binary");
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Provider { child, stdout }
    }

    fn handshake(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line
    }

    /// The socket of the provider process whose addresses are `local` and, when given, `peer`.
    fn socket(&self, local: SocketAddr, peer: Option<SocketAddr>) -> OwnedFd {
        let pidfd = pidfd_open(Pid::from_child(&self.child), PidfdFlags::empty()).unwrap();
        let fds = std::fs::read_dir(format!("/proc/{}/fd", self.child.id())).unwrap();
        for entry in fds {
            let Ok(number) = entry.unwrap().file_name().to_string_lossy().parse() else {
                continue;
            };
            let Ok(fd) = pidfd_getfd(&pidfd, number, PidfdGetfdFlags::empty()) else {
                continue; // closed meanwhile
            };
            let address = |address: rustix::net::SocketAddrAny| SocketAddr::try_from(address).ok();
            let bound = rustix::net::getsockname(&fd).ok().and_then(address);
            let connected = rustix::net::getpeername(&fd)
                .ok()
                .flatten()
                .and_then(address);
            if bound == Some(local) && connected == peer {
                return fd;
            }
        }
        panic!("the provider process has no socket at {local} connected to {peer:?}");
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tcp_nodelay(fd: &OwnedFd) -> bool {
    rustix::net::sockopt::tcp_nodelay(fd).unwrap()
}

/// Opens an HTTP/2 connection (preface and an empty SETTINGS frame) and reads the server's
/// first frame header: once it has answered, the provider has accepted the connection.
fn connect_http2(address: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .unwrap();
    let mut frame_header = [0u8; 9];
    stream.read_exact(&mut frame_header).unwrap();
    assert_eq!(
        frame_header[3], 0x4,
        "the provider's first frame is its SETTINGS"
    );
    stream
}

#[test]
fn no_tcp_stall_the_connection_terraform_opens_has_tcp_nodelay() {
    let mut provider = Provider::start();
    let handshake = provider.handshake();
    let fields: Vec<&str> = handshake.trim_end().split('|').collect();
    assert!(
        matches!(fields[..], ["1", "6", "tcp", _, "grpc", _]),
        "a go-plugin handshake line for gRPC over TCP: {handshake:?}"
    );
    let address: SocketAddr = fields[3].parse().unwrap();

    let listener = provider.socket(address, None);
    assert!(tcp_nodelay(&listener), "the listener has TCP_NODELAY");
    let client = connect_http2(address);
    let served = provider.socket(address, Some(client.local_addr().unwrap()));
    assert!(
        tcp_nodelay(&served),
        "the connection the provider accepted has TCP_NODELAY"
    );

    // After the handshake the provider's stdout is the pipe Terraform reads again (the
    // handshake thread has given fd 1 back): its fd 1 is our end's pipe.
    let ours = std::fs::read_link(format!(
        "/proc/self/fd/{}",
        provider.stdout.get_ref().as_raw_fd()
    ));
    let theirs = std::fs::read_link(format!("/proc/{}/fd/1", provider.child.id()));
    assert_eq!(theirs.unwrap(), ours.unwrap());
}
