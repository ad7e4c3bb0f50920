//! Large outputs written around the page cache (`O_DIRECT` on Linux), by a thread of their own.
//!
//! A province's report.json is 123 MB, written once per run and read by no later step of it. Through the page
//! cache each of its 30,000 pages was a fresh page to find, charge and copy into: 0.26–0.37 s of system time on
//! this machine's virtual disk and memory (each page the guest had not touched for a while was faulted in from
//! the host), about as much as formatting the whole report. Written directly, the same bytes took 0.01 s of CPU
//! and 0.08 s of the disk, while the next block is formatted. The file is flushed and renamed as before.
//!
//! Where the file system refuses direct writes (tmpfs, some shares), the file is written through the page cache
//! as any other; no output differs by a byte.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Direct writes start and end on this boundary, in memory and in the file (a page: every device's block fits).
const ALIGN: usize = 4096;
/// Bytes handed to the disk at a time: large enough that each write keeps it busy while the next is filled.
const BLOCK: usize = 1 << 20;

/// A block's memory: `BLOCK` bytes starting on an [`ALIGN`] boundary inside a plain vector.
struct Block {
    buf: Vec<u8>,
    start: usize,
    len: usize,
}

impl Block {
    fn new() -> Block {
        let buf = vec![0; BLOCK + ALIGN];
        // A byte pointer's alignment offset is always within ALIGN of it; the check keeps that out of the proof.
        let start = buf.as_ptr().align_offset(ALIGN).min(ALIGN);
        Block { buf, start, len: 0 }
    }

    fn filled(&self) -> &[u8] {
        &self.buf[self.start..self.start + self.len]
    }

    fn room(&mut self) -> &mut [u8] {
        &mut self.buf[self.start + self.len..self.start + BLOCK]
    }
}

/// A new file written around the page cache where it can be; [`Uncached::finish`] hands back the file, written
/// but not yet flushed.
pub struct Uncached {
    current: Block,
    to_disk: Option<SyncSender<Block>>,
    empties: Receiver<Block>,
    /// Blocks made so far: two keep the disk and the formatting busy at once, a third is never needed.
    made: usize,
    disk: Option<JoinHandle<io::Result<File>>>,
}

impl Uncached {
    /// Creates `path` (which must not exist) for writing.
    pub fn create(path: &Path) -> io::Result<Uncached> {
        let buffered = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?;
        let direct = open_direct(path);
        let (to_disk, blocks) = sync_channel::<Block>(1);
        let (to_fill, empties) = sync_channel::<Block>(2);
        let disk = std::thread::Builder::new()
            .name("huizong-direct".into())
            .spawn(move || write_blocks(direct, buffered, &blocks, &to_fill))?;
        Ok(Uncached {
            current: Block::new(),
            to_disk: Some(to_disk),
            empties,
            made: 1,
            disk: Some(disk),
        })
    }

    /// Writes what is left and hands back the file, written through but not yet flushed.
    pub fn finish(mut self) -> io::Result<File> {
        let last = std::mem::replace(
            &mut self.current,
            Block {
                buf: Vec::new(),
                start: 0,
                len: 0,
            },
        );
        // A writer that stopped has its error to give, below.
        let _ = self.to_disk.as_ref().map(|t| t.send(last));
        self.to_disk = None;
        self.disk.take().map_or_else(
            || Err(io::Error::other("the file was finished twice")),
            join,
        )
    }

    /// Hands the full block to the disk and takes an empty one.
    fn pass_on(&mut self) -> io::Result<()> {
        let next = if self.made < 2 {
            self.made += 1;
            Block::new()
        } else {
            match self.empties.recv() {
                Ok(mut b) => {
                    b.len = 0;
                    b
                }
                Err(_) => return Err(self.stopped()),
            }
        };
        let full = std::mem::replace(&mut self.current, next);
        let sent = self.to_disk.as_ref().is_some_and(|t| t.send(full).is_ok());
        if sent { Ok(()) } else { Err(self.stopped()) }
    }

    /// The error the writing thread stopped with.
    fn stopped(&mut self) -> io::Error {
        self.to_disk = None;
        match self.disk.take().map(join) {
            Some(Err(e)) => e,
            _ => io::Error::other("the file's writer stopped"),
        }
    }
}

impl Write for Uncached {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.current.len == BLOCK {
            self.pass_on()?;
        }
        let room = self.current.room();
        let n = room.len().min(buf.len());
        room[..n].copy_from_slice(&buf[..n]);
        self.current.len += n;
        Ok(n)
    }

    /// Nothing to do until [`Uncached::finish`]: a block goes to the disk whole.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Uncached {
    fn drop(&mut self) {
        // Dropped unfinished (an error while filling): the thread ends once its channel closes.
        self.to_disk = None;
        if let Some(disk) = self.disk.take() {
            let _ = disk.join();
        }
    }
}

fn join(disk: JoinHandle<io::Result<File>>) -> io::Result<File> {
    disk.join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// The thread's work: each block at its place in the file, directly while the file system takes it, and the
/// last block's unaligned end through the page cache.
fn write_blocks(
    mut direct: Option<File>,
    buffered: File,
    blocks: &Receiver<Block>,
    to_fill: &SyncSender<Block>,
) -> io::Result<File> {
    use std::os::unix::fs::FileExt;
    let mut at = 0u64;
    for block in blocks {
        let bytes = block.filled();
        let aligned = bytes.len() / ALIGN * ALIGN;
        let mut done = 0;
        if let Some(d) = &direct {
            match d.write_all_at(&bytes[..aligned], at) {
                Ok(()) => done = aligned,
                // Refused (a file system that takes the open but not the write): the rest through the cache.
                // What a failed direct write left is written over from the same place.
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => direct = None,
                Err(e) => return Err(e),
            }
        }
        buffered.write_all_at(&bytes[done..], at + done as u64)?;
        at += bytes.len() as u64;
        // The filler may be gone (finished, or stopped by an error of its own).
        let _ = to_fill.send(block);
    }
    Ok(buffered)
}

/// A second handle on the new file for direct writes, where the system and file system allow them.
fn open_direct(path: &Path) -> Option<File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_DIRECT)
            .open(path)
            .ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes that differ from place to place, so that a block written at the wrong offset shows.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 4099) as u8).collect()
    }

    fn written(dir: &Path, bytes: &[u8], piece: usize) -> Vec<u8> {
        let path = dir.join(format!("out-{}-{piece}", bytes.len()));
        let mut w = Uncached::create(&path).unwrap();
        for chunk in bytes.chunks(piece) {
            w.write_all(chunk).unwrap();
        }
        w.finish().unwrap().sync_data().unwrap();
        std::fs::read(&path).unwrap()
    }

    #[test]
    fn the_file_holds_exactly_the_bytes_written_whatever_their_length() {
        let dir = tempfile::tempdir().unwrap();
        for len in [
            0,
            1,
            ALIGN - 1,
            ALIGN,
            ALIGN + 1,
            BLOCK - 1,
            BLOCK,
            BLOCK + ALIGN + 3,
            3 * BLOCK + 5,
        ] {
            let bytes = pattern(len);
            for piece in [1 << 16, 12_345] {
                assert!(
                    written(dir.path(), &bytes, piece) == bytes,
                    "{len} in {piece}"
                );
            }
        }
    }

    #[test]
    fn a_file_that_exists_is_not_written_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("taken");
        std::fs::write(&path, b"old").unwrap();
        assert!(Uncached::create(&path).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
    }

    #[test]
    fn a_file_dropped_unfinished_ends_its_thread() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Uncached::create(&dir.path().join("half")).unwrap();
        w.write_all(&pattern(2 * BLOCK + 1)).unwrap();
        drop(w);
    }
}
