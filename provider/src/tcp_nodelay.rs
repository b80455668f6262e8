//! TCP_NODELAY on the connection Terraform calls the provider over, which tf-provider 0.2.2
//! would leave without it.
//!
//! Why: tf-provider's `serve` binds its own loopback listener and sets no TCP_NODELAY, so
//! Nagle's algorithm holds the last small frames of most responses until Terraform's
//! delayed ACK arrives, ~40 ms per call. tf-provider offers no hook on the listener or on
//! the accepted connections (README: the upstream fix). On Linux an accepted socket takes its
//! TCP_NODELAY from the listener as the option stood when the connection arrived, and
//! Terraform connects only after it has read the go-plugin handshake line from our stdout.
//! So until that line is out, stdout is a pipe: a thread reads the line, sets TCP_NODELAY on
//! the listener bound to the address the line names, puts the real stdout back and passes the
//! line on unchanged. Every connection Terraform makes is then accepted with TCP_NODELAY.
//! If the listener cannot be found, the line still goes out (the provider works, with the
//! stall) and stderr, which Terraform logs, says why.

use std::io::{self, BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};

/// Makes stdout a pipe that a thread of this process reads until the handshake line has
/// passed. Call it before `tf_provider::serve`, which prints that line.
pub fn set_before_terraform_connects() -> io::Result<()> {
    let terraform_stdout = io::stdout().as_fd().try_clone_to_owned()?;
    let (handshake_reader, handshake_writer) = io::pipe()?;
    // The reader runs before stdout is redirected, so a line written is always read; if the
    // redirection fails, dropping the writer ends the thread and stdout stays as it was.
    std::thread::Builder::new()
        .name("handshake".into())
        .spawn(move || relay_handshake(BufReader::new(handshake_reader), terraform_stdout))?;
    rustix::stdio::dup2_stdout(&handshake_writer)?;
    Ok(())
}

/// Reads the handshake line, sets TCP_NODELAY on the listener it names, gives fd 1 back to
/// Terraform's stdout and writes the line there; then copies anything else that was written
/// before fd 1 was given back.
fn relay_handshake(mut handshake: impl BufRead, terraform_stdout: OwnedFd) {
    let Some(line) = read_handshake_setting_nodelay(&mut handshake) else {
        return; // serve failed before its handshake and says why on stderr
    };
    if let Err(err) = rustix::stdio::dup2_stdout(&terraform_stdout) {
        warn(&format!("giving stdout back: {err}"));
    }
    let mut out = std::fs::File::from(terraform_stdout);
    if let Err(err) = out
        .write_all(line.as_bytes())
        .and_then(|()| io::copy(&mut handshake, &mut out).map(drop))
    {
        warn(&format!("writing the handshake line to stdout: {err}"));
    }
}

/// The first line of `handshake`, unchanged, once the listener it names has TCP_NODELAY (or
/// stderr has said why not); None at end of input.
fn read_handshake_setting_nodelay(handshake: &mut impl BufRead) -> Option<String> {
    let mut line = String::new();
    match handshake.read_line(&mut line) {
        Ok(0) => return None,
        Ok(_) => {}
        Err(err) => warn(&format!("reading the handshake line: {err}")),
    }
    match tcp_endpoint(&line) {
        Some(endpoint) => {
            if let Err(err) = set_on_listener(endpoint) {
                warn(&format!(
                    "setting TCP_NODELAY on the listener at {endpoint}: {err}; calls may wait ~40 ms each"
                ));
            }
        }
        None => warn(&format!(
            "the handshake line names no TCP address, TCP_NODELAY not set: {}",
            line.trim_end()
        )),
    }
    Some(line)
}

/// The address of a go-plugin handshake line for TCP:
/// `<core version>|<protocol version>|tcp|<address>|grpc|<server certificate>`.
fn tcp_endpoint(handshake: &str) -> Option<SocketAddr> {
    let mut fields = handshake.trim_end().split('|');
    match (fields.nth(2), fields.next()) {
        (Some("tcp"), Some(address)) => address.parse().ok(),
        _ => None,
    }
}

/// Sets TCP_NODELAY on this process's listening socket bound to `endpoint`; the connections
/// it accepts from then on have it too (Linux copies the option from the listener).
fn set_on_listener(endpoint: SocketAddr) -> io::Result<()> {
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let Some(fd) = entry?
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<RawFd>().ok())
        else {
            continue;
        };
        // SAFETY: the descriptor is open (listed in /proc/self/fd) and the borrow lives for
        // three system calls. Should another thread close it meanwhile, they fail or see a
        // different descriptor: the first two only read, and the option is set only on a
        // listening socket bound to `endpoint`, which tf-provider keeps open while it serves.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        if listens_on(fd, endpoint) {
            return Ok(rustix::net::sockopt::set_tcp_nodelay(fd, true)?);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        format!("no listening socket of this process is bound to {endpoint}"),
    ))
}

fn listens_on(fd: BorrowedFd<'_>, endpoint: SocketAddr) -> bool {
    let bound = rustix::net::getsockname(fd)
        .ok()
        .and_then(|address| SocketAddr::try_from(address).ok());
    bound == Some(endpoint) && rustix::net::sockopt::socket_acceptconn(fd).unwrap_or(false)
}

fn warn(message: &str) {
    eprintln!("terraform-provider-inspectorlink: {message}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    /// What tf-provider does: a loopback listener with no socket options.
    fn listener() -> (TcpListener, SocketAddr) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        (listener, address)
    }

    fn accepted_has_nodelay(listener: &TcpListener, address: SocketAddr) -> bool {
        let _client = TcpStream::connect(address).unwrap();
        listener.accept().unwrap().0.nodelay().unwrap()
    }

    #[test]
    fn connections_to_a_listener_with_nothing_set_have_nagle_on() {
        let (listener, address) = listener();
        assert!(!accepted_has_nodelay(&listener, address));
    }

    #[test]
    fn connections_accepted_after_set_on_listener_have_tcp_nodelay() {
        let (listener, address) = listener();
        set_on_listener(address).unwrap();
        assert!(accepted_has_nodelay(&listener, address));
    }

    #[test]
    fn set_on_listener_finds_only_a_listener_at_that_address() {
        let (_listener, address) = listener();
        // A connected socket of this process at another address, and no listener at all.
        let client = TcpStream::connect(address).unwrap();
        let error = set_on_listener(client.local_addr().unwrap()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound, "{error}");
    }

    #[test]
    fn the_handshake_names_its_tcp_address() {
        assert_eq!(
            tcp_endpoint("1|6|tcp|127.0.0.1:41234|grpc|MIIBkzCCARmgAwIBAgIU\n"),
            Some("127.0.0.1:41234".parse().unwrap())
        );
        assert_eq!(
            tcp_endpoint("1|6|tcp|127.0.0.1:41234|grpc|\n"),
            "127.0.0.1:41234".parse().ok()
        );
        assert_eq!(tcp_endpoint("1|6|unix|/tmp/plugin123|grpc|\n"), None);
        assert_eq!(tcp_endpoint("relay something\n"), None);
        assert_eq!(tcp_endpoint(""), None);
    }

    #[test]
    fn the_handshake_line_passes_unchanged_after_its_listener_has_tcp_nodelay() {
        let (listener, address) = listener();
        let handshake = format!("1|6|tcp|{address}|grpc|CERT\n");
        let mut input = io::Cursor::new(format!("{handshake}later output\n"));
        assert_eq!(read_handshake_setting_nodelay(&mut input), Some(handshake));
        assert!(accepted_has_nodelay(&listener, address));
        assert_eq!(
            read_handshake_setting_nodelay(&mut io::Cursor::new(b"")),
            None
        );
    }
}
