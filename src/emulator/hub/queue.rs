//! A connection as the hub sees it, and its outbound queue: what a fan-out writes straight to
//! the socket and what waits for the connection's own session task.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Poll;
use std::time::SystemTime;

use futures_util::task::AtomicWaker;
use tokio::sync::Notify;

use crate::client::Protocol;
use crate::emulator::message::{Message, Outbound};
use crate::emulator::wire::{self, Direct, Line};

/// Most items a connection's outbound queue holds; a client that falls this far behind is
/// closed (1008), as the service closes it, instead of growing the emulator.
const MAX_QUEUED_FRAMES: usize = 8192;
/// Most payload bytes a connection's outbound queue holds (16 one-MiB messages).
const MAX_QUEUED_BYTES: usize = 16 * 1024 * 1024;

/// A connected client as the hub sees it; its queue leads to its session task.
///
/// The queue is a plain `VecDeque` under a mutex with one waker, not a channel: it costs
/// nothing until something is queued (a channel allocates about 1.8 KiB per connection up
/// front), and a push is one uncontended lock and one wake.
///
/// In declaration order (`repr(C)`), what a fan-out reads first: `line` and `queue` share the
/// first two cache lines, so a fan-out to thousands of connections misses once per
/// connection here instead of in three places.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct Conn {
    /// The socket, when messages may be written to it directly (plain, JSON and protobuf
    /// clients on plain HTTP/1, and Socket.IO clients that opened as a WebSocket there, for a
    /// message that is one Socket.IO event; reliable clients' frames differ per connection).
    line: Option<Line>,
    queue: Mutex<Queue>,
    pub protocol: Protocol,
    pub id: String,
    pub user_id: Option<String>,
    pub roles: Vec<String>,
    /// When it connected, for the dashboard.
    pub connected_at: SystemTime,
    /// The session task waiting for the queue.
    reader: AtomicWaker,
    overflowed: AtomicBool,
    overflow: Notify,
}

#[derive(Debug)]
struct Queue {
    items: VecDeque<Outbound>,
    bytes: usize,
    /// The session may be writing an item it took: a message written directly now could
    /// overtake it. Clear only while the session waits on an empty queue, so never before
    /// its first frame (`connected`) or after it starts closing.
    busy: bool,
    /// The session ended: nothing more is kept.
    closed: bool,
}

/// The session's end of a connection's queue; dropping it (the session ended) discards
/// whatever is queued and everything pushed later.
#[derive(Debug)]
pub(crate) struct Inbox(Arc<Conn>);

impl Inbox {
    /// The next queued item, once there is one.
    pub async fn recv(&mut self) -> Outbound {
        // A session whose queue never empties still lets its other work (the socket, timers)
        // in, as a tokio channel would.
        tokio::task::consume_budget().await;
        std::future::poll_fn(|cx| {
            if let Some(out) = self.0.pop() {
                return Poll::Ready(out);
            }
            // From here until the next pop, the fan-out may write straight to the socket.
            self.0.reader.register(cx.waker());
            // A push between the first look and the registration woke nobody.
            match self.0.pop() {
                Some(out) => Poll::Ready(out),
                None => Poll::Pending,
            }
        })
        .await
    }

    /// The session is about to write frames of its own or close the socket: nothing may be
    /// written to it directly until the session next waits on an empty queue (a frame after
    /// the close frame breaks the protocol; one written between a session's group join and
    /// its answer to the client would overtake the answer).
    pub fn hold(&self) {
        self.0.lock_queue().busy = true;
    }
}

impl Drop for Inbox {
    fn drop(&mut self) {
        let mut queue = self.0.lock_queue();
        queue.closed = true;
        queue.items = VecDeque::new();
        queue.bytes = 0;
    }
}

impl Conn {
    /// A connection and the receiving end of its outbound queue.
    pub fn new(
        id: String,
        user_id: Option<String>,
        protocol: Protocol,
        roles: Vec<String>,
        line: Option<Line>,
    ) -> (Arc<Conn>, Inbox) {
        let conn = Arc::new(Conn {
            id,
            user_id,
            protocol,
            roles,
            connected_at: SystemTime::now(),
            queue: Mutex::new(Queue {
                items: VecDeque::new(),
                bytes: 0,
                busy: true,
                closed: false,
            }),
            line,
            reader: AtomicWaker::new(),
            overflowed: AtomicBool::new(false),
            overflow: Notify::new(),
        });
        (conn.clone(), Inbox(conn))
    }

    fn lock_queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next item, marking the session busy with it; with none, the session is idle.
    fn pop(&self) -> Option<Outbound> {
        let mut queue = self.lock_queue();
        let Some(out) = queue.items.pop_front() else {
            queue.busy = false;
            return None;
        };
        queue.busy = true;
        queue.bytes -= out.size();
        if queue.items.is_empty() && queue.items.capacity() > 64 {
            // A burst is over: give its memory back.
            queue.items = VecDeque::new();
        }
        Some(out)
    }

    /// Queues something for this connection's socket without ever waiting: a full queue
    /// marks the connection overflowed (its session closes it) and drops the item. A finished
    /// session drops it too.
    pub fn push(&self, out: Outbound) {
        if self.overflowed.load(Ordering::Relaxed) {
            return;
        }
        let size = out.size();
        {
            let mut queue = self.lock_queue();
            if queue.closed {
                return;
            }
            if queue.items.len() >= MAX_QUEUED_FRAMES || queue.bytes + size > MAX_QUEUED_BYTES {
                drop(queue);
                self.overflowed.store(true, Ordering::Relaxed);
                self.overflow.notify_one();
            } else {
                queue.bytes += size;
                queue.items.push_back(out);
            }
        }
        self.reader.wake();
    }

    /// Sends a message: written straight to the socket when the session is idle and the
    /// socket takes it, queued otherwise. A frame the socket takes only in part is finished
    /// by the session (a `Flush` item), and anything later queues behind it.
    pub fn deliver(&self, message: &Arc<Message>) {
        if let Some(line) = &self.line {
            let mut queue = self.lock_queue();
            if queue.closed {
                return;
            }
            if !queue.busy && queue.items.is_empty() {
                if let Some(frame) = message.wire_frame(self.protocol) {
                    match line.write(&frame) {
                        Direct::Sent => return,
                        Direct::Partial => {
                            queue.items.push_back(Outbound::Flush);
                            drop(queue);
                            self.reader.wake();
                            return;
                        }
                        Direct::Refused => {}
                    }
                }
            }
        }
        self.push(Outbound::Data(message.clone()));
    }

    /// Asks the CPU to fetch what [`Conn::deliver`] reads first.
    pub fn prefetch(&self) {
        wire::prefetch((self as *const Conn).cast());
    }

    /// Asks the CPU to fetch the socket state [`Conn::deliver`] writes through (this
    /// connection's own fields should be fetched already).
    pub fn prefetch_line(&self) {
        if let Some(line) = &self.line {
            line.prefetch();
        }
    }

    /// Whether the queue has overflowed (its session must close the connection).
    pub fn is_overflowed(&self) -> bool {
        self.overflowed.load(Ordering::Relaxed)
    }

    /// Resolves once the queue has overflowed.
    pub async fn overflowed(&self) {
        if !self.overflowed.load(Ordering::Relaxed) {
            self.overflow.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_overflows_and_drops_instead_of_growing() {
        let (conn, _inbox) = Conn::new("c".into(), None, Protocol::Raw, vec![], None);
        for _ in 0..MAX_QUEUED_FRAMES {
            conn.push(Outbound::Binary(bytes::Bytes::from_static(b"x")));
        }
        assert!(!conn.is_overflowed());
        conn.push(Outbound::Binary(bytes::Bytes::from_static(b"x")));
        assert!(conn.is_overflowed());
        assert_eq!(conn.lock_queue().items.len(), MAX_QUEUED_FRAMES);
    }

    #[test]
    fn bytes_count_against_the_queue_and_leave_it_when_taken() {
        let (conn, _inbox) = Conn::new("c".into(), None, Protocol::Raw, vec![], None);
        let big = bytes::Bytes::from(vec![0u8; MAX_QUEUED_BYTES / 2]);
        conn.push(Outbound::Binary(big.clone()));
        conn.push(Outbound::Binary(big.clone()));
        assert!(!conn.is_overflowed());
        assert!(conn.pop().is_some());
        assert_eq!(conn.lock_queue().bytes, MAX_QUEUED_BYTES / 2);
        conn.push(Outbound::Binary(big.clone()));
        conn.push(Outbound::Binary(big));
        assert!(conn.is_overflowed());
    }

    #[test]
    fn nothing_is_kept_for_a_session_that_ended() {
        let (conn, inbox) = Conn::new("c".into(), None, Protocol::Raw, vec![], None);
        conn.push(Outbound::Binary(bytes::Bytes::from_static(b"x")));
        drop(inbox);
        assert!(conn.lock_queue().items.is_empty());
        conn.push(Outbound::Binary(bytes::Bytes::from_static(b"y")));
        assert!(conn.lock_queue().items.is_empty());
        assert!(!conn.is_overflowed());
    }

    #[tokio::test]
    async fn the_inbox_wakes_for_a_push_made_while_it_waits() {
        let (conn, mut inbox) = Conn::new("c".into(), None, Protocol::Raw, vec![], None);
        let pusher = conn.clone();
        let waiting = tokio::spawn(async move { inbox.recv().await });
        tokio::task::yield_now().await;
        pusher.push(Outbound::Binary(bytes::Bytes::from_static(b"z")));
        let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("woken within 5 s")
            .expect("task");
        assert!(matches!(got, Outbound::Binary(b) if &b[..] == b"z"));
    }

    /// What reaches the socket directly and what waits for the session: nothing before the
    /// session took its first item (`connected` goes first), nothing while it holds one or
    /// anything is queued (it would overtake them), nothing once it closes.
    #[tokio::test]
    async fn only_an_idle_session_gets_messages_straight_on_its_socket() {
        use crate::emulator::message::{DataKind, Source};
        use crate::emulator::wire::Wire;
        use tokio::io::AsyncReadExt;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let wire = Wire::new(listener.accept().await.unwrap().0);
        let (conn, inbox) = Conn::new("c".into(), None, Protocol::Raw, vec![], Some(wire.line()));
        let text = |t: &'static [u8]| Message::new(Source::Server, DataKind::Text, t.into());
        let queued = |conn: &Conn| conn.lock_queue().items.len();

        conn.deliver(&text(b"1"));
        assert_eq!(queued(&conn), 1, "before the session's first frame");
        assert!(inbox.0.pop().is_some());
        conn.deliver(&text(b"2"));
        assert_eq!(queued(&conn), 1, "while the session writes what it took");
        assert!(inbox.0.pop().is_some());
        assert!(inbox.0.pop().is_none());
        conn.push(Outbound::Binary(bytes::Bytes::from_static(b"ack")));
        conn.deliver(&text(b"3"));
        assert_eq!(queued(&conn), 2, "behind something queued");
        assert!(inbox.0.pop().is_some() && inbox.0.pop().is_some());
        assert!(inbox.0.pop().is_none());

        conn.deliver(&text(b"4"));
        assert_eq!(queued(&conn), 0, "idle: written directly");
        let mut frame = [0u8; 3];
        client.read_exact(&mut frame).await.unwrap();
        assert_eq!(frame, [0x81, 1, b'4']);

        inbox.hold();
        conn.deliver(&text(b"5"));
        assert_eq!(queued(&conn), 1, "after the session started closing");
        drop(inbox);
        conn.deliver(&text(b"6"));
        assert_eq!(queued(&conn), 0, "the session ended");
    }
}
