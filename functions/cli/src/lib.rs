//! What the inspectorlink command lines share: arguments parsed with clap (derive), with
//! clap's errors said in our words ("unknown argument \"--bukket\"", "--bucket needs a
//! value", "--bucket is given twice") and our validators' messages as they are.

use std::error::Error as _;

use clap::error::{ContextKind, ErrorKind};
use clap::{CommandFactory, Parser};

/// Bad usage: the message, then the usage, on stderr.
pub const USAGE_EXIT_CODE: i32 = 2;

/// What the arguments asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<T> {
    Run(T),
    /// `-h` / `--help`: print [`help`] and exit 0.
    Help,
}

/// Parses `args` (without the program name); an error says what to fix.
pub fn parse<T: Parser>(args: &[String]) -> Result<Parsed<T>, String> {
    let name = T::command().get_name().to_owned();
    match T::try_parse_from(std::iter::once(&name).chain(args)) {
        Ok(parsed) => Ok(Parsed::Run(parsed)),
        Err(error) if error.kind() == ErrorKind::DisplayHelp => Ok(Parsed::Help),
        Err(error) => Err(problem(&error)),
    }
}

/// The help text (`--help`, and after a usage error).
pub fn help<T: CommandFactory>() -> String {
    T::command().render_help().to_string()
}

/// `--help`: the help on stdout; returns the exit code, 0.
pub fn print_help<T: CommandFactory>() -> i32 {
    print!("{}", help::<T>());
    0
}

/// Bad usage: `PROGRAM: problem`, then the help, on stderr; returns the exit code, 2.
pub fn usage_error<T: CommandFactory>(problem: &str) -> i32 {
    eprintln!("{}: {problem}\n\n{}", T::command().get_name(), help::<T>());
    USAGE_EXIT_CODE
}

/// A clap error as one line in our words.
fn problem(error: &clap::Error) -> String {
    let context = |kind| error.get(kind).map(ToString::to_string).unwrap_or_default();
    // `--bucket <BUCKET>` → `--bucket`
    let arg = context(ContextKind::InvalidArg);
    let flag = arg.split(' ').next().unwrap_or_default();
    match error.kind() {
        ErrorKind::UnknownArgument => format!("unknown argument {arg:?}"),
        ErrorKind::InvalidValue if context(ContextKind::InvalidValue).is_empty() => {
            format!("{flag} needs a value")
        }
        ErrorKind::ArgumentConflict if arg == context(ContextKind::PriorArg) => {
            format!("{flag} is given twice")
        }
        // A flag that takes no value was given one (`--restart=yes`).
        ErrorKind::TooManyValues => {
            format!(
                "unknown argument {:?}",
                format!("{flag}={}", context(ContextKind::InvalidValue))
            )
        }
        // Our own validators' messages name the flag and the value already.
        ErrorKind::ValueValidation => match error.source() {
            Some(cause) => cause.to_string(),
            None => clap_message(error),
        },
        _ => clap_message(error),
    }
}

/// clap's own message without its `error: ` prefix and usage lines.
fn clap_message(error: &clap::Error) -> String {
    let text = error.render().to_string();
    let first = text.lines().next().unwrap_or_default();
    first.strip_prefix("error: ").unwrap_or(first).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// demo: a two-flag command line.
    #[derive(Debug, PartialEq, Eq, Parser)]
    #[command(name = "demo")]
    struct Demo {
        /// a value
        #[arg(long)]
        bucket: Option<String>,
        /// a switch
        #[arg(long)]
        restart: bool,
        /// a checked value
        #[arg(long, value_parser = |v: &str| v.parse::<u8>().map_err(|_| format!("--size {v:?}: give 0 to 255")))]
        size: Option<u8>,
    }

    fn problem_of(args: &[&str]) -> String {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        parse::<Demo>(&args).unwrap_err()
    }

    #[test]
    fn clap_errors_in_our_words() {
        assert_eq!(
            problem_of(&["--bukket", "b"]),
            "unknown argument \"--bukket\""
        );
        assert_eq!(problem_of(&["--bucket"]), "--bucket needs a value");
        assert_eq!(
            problem_of(&["--bucket", "a", "--bucket=b"]),
            "--bucket is given twice"
        );
        assert_eq!(
            problem_of(&["--restart=yes"]),
            "unknown argument \"--restart=yes\""
        );
        assert_eq!(problem_of(&["--size", "x"]), "--size \"x\": give 0 to 255");
    }

    #[test]
    fn help_is_not_an_error() {
        assert_eq!(parse::<Demo>(&["-h".to_owned()]), Ok(Parsed::Help));
        assert!(help::<Demo>().contains("Usage: demo"));
        assert_eq!(
            parse::<Demo>(&["--bucket=b".to_owned()]),
            Ok(Parsed::Run(Demo {
                bucket: Some("b".into()),
                restart: false,
                size: None
            }))
        );
    }
}
