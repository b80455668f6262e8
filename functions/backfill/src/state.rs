//! The checkpoint file: what was asked (the query) and, per region, the ListFindings
//! `nextToken` after the last page that was completely sent, with counts. It is written
//! atomically (a temporary file in the same directory, flushed, then renamed) after every
//! page, so a crash leaves either the previous checkpoint or the new one, never half.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The layout written by this version.
pub const STATE_VERSION: u32 = 1;

/// What a run lists and where it sends; a checkpoint only resumes the same query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    pub statuses: Vec<String>,
    pub severities: Vec<String>,
    pub account_ids: Vec<String>,
    pub page_size: i32,
    pub queue_url: String,
    pub notify_queue_url: Option<String>,
}

/// One region's progress.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionProgress {
    /// Where the next page starts; None with `done` false: not started.
    pub next_token: Option<String>,
    pub done: bool,
    pub pages: u64,
    pub found: u64,
    pub sent: u64,
    /// Findings the pipeline could not use or SQS refused (named on stderr when it happened).
    pub skipped: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    pub query: Query,
    pub regions: BTreeMap<String, RegionProgress>,
}

impl State {
    pub fn new(query: Query) -> Self {
        State {
            version: STATE_VERSION,
            query,
            regions: BTreeMap::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("reading the state file {path}: {source}; fix or remove it, or pass --restart to start over")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the state file {path} is not a backfill checkpoint ({problem}); fix or remove it, or pass --restart to start over")]
    Invalid { path: PathBuf, problem: String },
    #[error("the state file {path} was written for another query ({difference}); pass --restart to start this one over, or give another --state-file")]
    OtherQuery { path: PathBuf, difference: String },
    #[error("writing the state file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The checkpoint at `path` for `query`: None when there is no file yet.
pub fn load(path: &Path, query: &Query) -> Result<Option<State>, StateError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StateError::Read {
                path: path.to_owned(),
                source,
            })
        }
    };
    let state: State = serde_json::from_str(&text).map_err(|e| StateError::Invalid {
        path: path.to_owned(),
        problem: e.to_string(),
    })?;
    if state.version != STATE_VERSION {
        return Err(StateError::Invalid {
            path: path.to_owned(),
            problem: format!(
                "version {}, this backfill writes {STATE_VERSION}",
                state.version
            ),
        });
    }
    if &state.query != query {
        return Err(StateError::OtherQuery {
            path: path.to_owned(),
            difference: query_difference(&state.query, query),
        });
    }
    Ok(Some(state))
}

fn query_difference(saved: &Query, asked: &Query) -> String {
    let saved = serde_json::to_value(saved).unwrap_or_default();
    let asked = serde_json::to_value(asked).unwrap_or_default();
    let fields = saved.as_object().into_iter().flatten();
    fields
        .filter(|(key, value)| asked.get(key.as_str()) != Some(value))
        .map(|(key, value)| format!("{key}: saved {value}, asked {}", asked[key.as_str()]))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Writes `state` to `path` atomically.
pub fn save(path: &Path, state: &State) -> Result<(), StateError> {
    let write_error = |source| StateError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        write_error(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a file name",
        ))
    })?;
    let mut temporary = dir.join(name);
    temporary.as_mut_os_string().push(".tmp");
    let text = serde_json::to_string_pretty(state).expect("the state serialises");
    let mut file = std::fs::File::create(&temporary).map_err(write_error)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .map_err(write_error)?;
    std::fs::rename(&temporary, path).map_err(write_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query() -> Query {
        Query {
            statuses: vec!["ACTIVE".into()],
            severities: vec![],
            account_ids: vec![],
            page_size: 100,
            queue_url: "https://sqs.us-east-1.amazonaws.com/111111111111/send".into(),
            notify_queue_url: None,
        }
    }

    #[test]
    fn a_saved_checkpoint_loads_for_the_same_query_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert!(load(&path, &query()).unwrap().is_none());
        let mut state = State::new(query());
        state.regions.insert(
            "us-east-1".into(),
            RegionProgress {
                next_token: Some("t".into()),
                pages: 2,
                found: 200,
                sent: 199,
                skipped: 1,
                ..RegionProgress::default()
            },
        );
        save(&path, &state).unwrap();
        assert_eq!(load(&path, &query()).unwrap(), Some(state));
        assert!(!dir.path().join("state.json.tmp").exists());

        let mut other = query();
        other.severities = vec!["CRITICAL".into()];
        let err = load(&path, &other).unwrap_err().to_string();
        assert!(
            err.contains("another query (severities: saved [], asked [\"CRITICAL\"])")
                && err.contains("--restart"),
            "{err}"
        );
    }

    #[test]
    fn an_unreadable_checkpoint_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("garbage.json");
        std::fs::write(&garbage, "{not json").unwrap();
        for path in [garbage.as_path(), dir.path()] {
            let err = load(path, &query()).unwrap_err().to_string();
            assert!(
                err.contains(&path.display().to_string()) && err.contains("--restart"),
                "{err}"
            );
        }
    }
}
