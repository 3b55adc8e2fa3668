//! The stdin thread of `wps client` when it is not on a terminal, and [`Input`], what
//! either input thread (this one or the terminal's prompt) hands to the session loop.
//!
//! Input comes from a plain thread, not Tokio's stdin: Tokio reads stdin on a blocking-pool
//! thread that cannot be cancelled, so a run that ends before its input (the service closed
//! the connection, Ctrl-C) would hang until one more line came. A plain thread just ends with
//! the process.

use std::io::BufRead;

use tokio::sync::mpsc;

/// The longest input line: the service's 1 MiB frame limit, which any longer command would
/// pass anyway. Longer lines are reported and skipped.
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// What the input thread hands over.
#[derive(Debug)]
pub(super) enum Input {
    Line(String),
    /// A line that cannot be a command (too long, not UTF-8), skipped.
    Unreadable(&'static str),
    /// Reading stdin failed; the input ends.
    Error(String),
    Eof,
    /// Ctrl-C at the prompt.
    Interrupt,
}

/// Reads stdin line by line on its own thread (see the module docs).
pub(super) fn read_stdin(tx: mpsc::Sender<Input>) {
    let spawned = std::thread::Builder::new()
        .name("wps-stdin".into())
        .spawn(move || {
            let stdin = std::io::stdin();
            let mut reader = stdin.lock();
            let mut buf = Vec::new();
            loop {
                buf.clear();
                let input = match read_line_capped(&mut reader, &mut buf, MAX_LINE_BYTES) {
                    Ok(None) => Input::Eof,
                    Ok(Some(false)) => Input::Unreadable("the line is longer than 1 MiB"),
                    Ok(Some(true)) => match String::from_utf8(std::mem::take(&mut buf)) {
                        Ok(line) => Input::Line(line),
                        Err(_) => Input::Unreadable("the line is not UTF-8"),
                    },
                    Err(e) => Input::Error(e.to_string()),
                };
                let last = matches!(input, Input::Eof | Input::Error(_));
                if tx.blocking_send(input).is_err() || last {
                    if last {
                        let _ = tx.blocking_send(Input::Eof);
                    }
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!("error: could not read stdin: {e}");
    }
}

/// One line into `buf` (without its `\n`), holding at most `cap` bytes: `None` at the end of
/// input, `Some(false)` for a longer line (the rest of it is read and dropped).
fn read_line_capped(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<Option<bool>> {
    let mut any = false;
    let mut fits = true;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(any.then_some(fits));
        }
        any = true;
        let (part, used, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], i + 1, true),
            None => (chunk, chunk.len(), false),
        };
        if fits && buf.len() + part.len() > cap {
            fits = false;
            buf.clear();
        }
        if fits {
            buf.extend_from_slice(part);
        }
        reader.consume(used);
        if done {
            return Ok(Some(fits));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_capped() {
        let mut input: &[u8] = b"short\nthis one is long\nend";
        let mut buf = Vec::new();
        assert_eq!(
            read_line_capped(&mut input, &mut buf, 8).unwrap(),
            Some(true)
        );
        assert_eq!(buf, b"short");
        buf.clear();
        assert_eq!(
            read_line_capped(&mut input, &mut buf, 8).unwrap(),
            Some(false)
        );
        buf.clear();
        assert_eq!(
            read_line_capped(&mut input, &mut buf, 8).unwrap(),
            Some(true)
        );
        assert_eq!(buf, b"end");
        buf.clear();
        assert_eq!(read_line_capped(&mut input, &mut buf, 8).unwrap(), None);
    }
}
