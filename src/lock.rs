//! One process at a time per workspace: a run, or `watch` while it processes, holds `outbox/.lock`.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::workspace::Workspace;

/// Held for as long as it lives; the operating system releases the lock when the process ends, however it ends.
#[derive(Debug)]
pub struct WorkspaceLock {
    _file: File,
}

/// Takes the workspace lock, waiting up to `wait` for the holder to finish; the error names the holder.
pub fn acquire(ws: &Workspace, what: &str, wait: Duration) -> Result<WorkspaceLock, Error> {
    let outbox = ws.root.join("outbox");
    std::fs::create_dir_all(&outbox).map_err(Error::io(&outbox))?;
    let path = outbox.join(".lock");
    let mut file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(Error::io(&path))?;
    let started = Instant::now();
    let mut logged = false;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = holder(&mut file);
                if started.elapsed() >= wait {
                    return Err(Error::Locked {
                        path: ws.root.clone(),
                        holder,
                        waited_seconds: started.elapsed().as_secs(),
                    });
                }
                if !logged {
                    log::warn!("waiting for the workspace lock held by {holder}");
                    logged = true;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path)(e)),
        }
    }
    let me = format!(
        "{what} (pid {}, since {})",
        std::process::id(),
        jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M:%S UTC")
    );
    file.set_len(0).map_err(Error::io(&path))?;
    file.seek(SeekFrom::Start(0)).map_err(Error::io(&path))?;
    file.write_all(me.as_bytes()).map_err(Error::io(&path))?;
    Ok(WorkspaceLock { _file: file })
}

fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| file.read_to_string(&mut text));
    if text.trim().is_empty() {
        "another huizong process".to_string()
    } else {
        text.trim().to_string()
    }
}
