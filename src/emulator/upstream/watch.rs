//! The settings in force, swapped whole when the settings file changes.
//!
//! The file is polled (size and modification time, once a second by default): no
//! dependency, no platform watcher quirks (editors that replace the file by renaming, network
//! file systems), and a second's delay does not matter for a hand-edited file.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use super::settings::Settings;

/// The settings every upstream call reads; cheap to clone and to read (an `Arc` swap).
#[derive(Debug, Clone)]
pub struct SharedSettings {
    current: Arc<RwLock<Arc<Settings>>>,
    /// Bumped on every swap, so caches keyed on the old handlers (validation) can tell.
    generation: Arc<AtomicU64>,
}

impl SharedSettings {
    pub fn new(settings: Settings) -> SharedSettings {
        SharedSettings {
            current: Arc::new(RwLock::new(Arc::new(settings))),
            generation: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn current(&self) -> Arc<Settings> {
        // A poisoned lock only means a writer panicked between two whole values.
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn replace(&self, settings: Settings) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(settings);
        self.generation.fetch_add(1, Ordering::Release);
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }
}

/// Where the settings come from: the flags (fixed) and an optional file (reloaded).
#[derive(Debug, Clone, Default)]
pub struct Source {
    pub flags: Settings,
    pub file: Option<PathBuf>,
}

impl Source {
    /// The flags' handlers, then the file's.
    pub fn load(&self) -> Result<Settings, String> {
        let flags = self.flags.clone();
        match &self.file {
            Some(path) => Ok(flags.then(Settings::load(path)?)),
            None => Ok(flags),
        }
    }
}

/// What the watcher tells its caller (who prints it on stderr).
#[derive(Debug)]
pub enum Reload<'a> {
    /// The file changed and its handlers are now in force.
    Applied(&'a Settings),
    /// The file changed but cannot be used; the previous handlers stay. Said once per change.
    Rejected(&'a str),
}

/// Polls `source.file` every `interval` and swaps `shared` when it changes to something
/// valid. Returns `None` when there is no file to watch. Abort the handle to stop.
pub fn watch(
    source: Source,
    shared: SharedSettings,
    interval: Duration,
    report: impl Fn(Reload<'_>) + Send + 'static,
) -> Option<tokio::task::JoinHandle<()>> {
    let path = source.file.clone()?;
    Some(tokio::spawn(async move {
        // `None` at first: the first tick loads the file whatever its fingerprint, so a
        // change between the caller's initial load and this task's start is not missed
        // (an unchanged file compares equal and says nothing).
        let mut seen = None;
        let mut pending = None;
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            // Fingerprint before reading: a write racing the read shows up next tick.
            let now = Some(fingerprint(&path));
            if now == seen {
                pending = None;
                continue;
            }
            // A change is read once it has held for a whole tick: a file caught between its
            // truncation and its new contents would otherwise apply as empty (no handlers).
            if pending != now {
                pending = now;
                continue;
            }
            pending = None;
            seen = now;
            let loaded = {
                let source = source.clone();
                tokio::task::spawn_blocking(move || source.load()).await
            };
            match loaded {
                Ok(Ok(settings)) => {
                    if *shared.current() != settings {
                        shared.replace(settings.clone());
                        report(Reload::Applied(&settings));
                    }
                }
                Ok(Err(e)) => report(Reload::Rejected(&e)),
                Err(e) => report(Reload::Rejected(&format!(
                    "reading the settings failed: {e}"
                ))),
            }
        }
    }))
}

/// Size and modification time; `None` while the file is missing (mid-rename, deleted).
fn fingerprint(path: &std::path::Path) -> Option<(u64, SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A watcher every 20 ms, and what it reported, in order.
    fn watch_logged(
        source: Source,
        shared: &SharedSettings,
    ) -> (tokio::task::JoinHandle<()>, Arc<Mutex<Vec<String>>>) {
        let log = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = log.clone();
        let task = watch(
            source,
            shared.clone(),
            Duration::from_millis(20),
            move |r| {
                sink.lock().unwrap().push(match r {
                    Reload::Applied(_) => "applied".to_string(),
                    Reload::Rejected(e) => format!("rejected: {e}"),
                })
            },
        )
        .unwrap();
        (task, log)
    }
    use crate::emulator::upstream::settings::{Event, SystemEvent};
    use std::sync::Mutex;

    const CONNECT: Event<'static> = Event::System(SystemEvent::Connect);

    fn handlers(url: &str) -> String {
        format!("[[hubs.chat.handlers]]\nurl_template = \"{url}\"\nsystem_events = [\"connect\"]\n")
    }

    async fn wait_for(mut done: impl FnMut() -> bool) {
        for _ in 0..200 {
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("timed out waiting for the watcher");
    }

    #[tokio::test]
    async fn reloads_on_change_and_keeps_the_old_settings_on_a_bad_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("handlers.toml");
        std::fs::write(&path, handlers("http://first/")).unwrap();
        let source = Source {
            flags: Settings::from_flags(&["*=http://flag/"]).unwrap(),
            file: Some(path.clone()),
        };
        let shared = SharedSettings::new(source.load().unwrap());
        let url = |s: &SharedSettings| {
            s.current()
                .handler("chat", CONNECT)
                .unwrap()
                .url("chat", "connect")
        };
        assert_eq!(url(&shared), "http://first/");

        let (task, log) = watch_logged(source, &shared);

        std::fs::write(&path, handlers("http://second.example/")).unwrap();
        wait_for(|| url(&shared) == "http://second.example/").await;
        assert_eq!(shared.generation(), 1);

        // A broken file: reported once, the last good handlers stay.
        std::fs::write(
            &path,
            "[[hubs.chat.handlers]]\nurl_template = 'ftp://nope/'\n",
        )
        .unwrap();
        wait_for(|| log.lock().unwrap().len() == 2).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        {
            let log = log.lock().unwrap();
            assert_eq!(log.len(), 2, "{log:?}");
            assert!(
                log[1].starts_with("rejected:") && log[1].contains("http"),
                "{log:?}"
            );
        }
        assert_eq!(url(&shared), "http://second.example/");
        // The flags' `*` handler survives every reload.
        assert!(shared.current().handler("news", CONNECT).is_some());

        // Fixed again: applied.
        std::fs::write(&path, handlers("http://third.example.org/")).unwrap();
        wait_for(|| url(&shared) == "http://third.example.org/").await;
        assert_eq!(log.lock().unwrap().last().unwrap(), "applied");
        task.abort();
    }

    /// The watched path turned into an endless file: the reload reads up to the cap, is
    /// refused, and the last good handlers stay.
    #[cfg(unix)]
    #[tokio::test]
    async fn a_reload_from_an_endless_file_is_refused_at_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("handlers.toml");
        std::fs::write(&path, handlers("http://first/")).unwrap();
        let source = Source {
            flags: Settings::default(),
            file: Some(path.clone()),
        };
        let shared = SharedSettings::new(source.load().unwrap());
        let (task, log) = watch_logged(source, &shared);
        let swap = dir.path().join("swap");
        std::os::unix::fs::symlink("/dev/zero", &swap).unwrap();
        std::fs::rename(&swap, &path).unwrap();
        wait_for(|| {
            log.lock()
                .unwrap()
                .iter()
                .any(|l| l.starts_with("rejected"))
        })
        .await;
        let rejected = log.lock().unwrap().last().unwrap().clone();
        assert!(
            rejected
                .ends_with("larger than 1 MiB, which no settings file is; is it the right path?"),
            "{rejected}"
        );
        let url = shared
            .current()
            .handler("chat", CONNECT)
            .unwrap()
            .url("chat", "connect");
        assert_eq!(url, "http://first/");
        task.abort();
    }

    #[test]
    fn no_file_no_watcher() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let _guard = rt.enter();
        let shared = SharedSettings::new(Settings::default());
        assert!(watch(Source::default(), shared, Duration::from_secs(1), |_| {}).is_none());
    }
}
