//! Runs a function over items on every core and returns the results in the items' order. The
//! stages read and hash one file per organisation, and files differ in size, so each core takes
//! the next file as soon as it is free.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

pub fn map_ordered<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        out.push((i, f(item)));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            // A panic in a worker is a bug; it goes on unwinding here.
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Runs `work` over the items on every core and hands each result to `take` in the items'
/// order, as soon as it and those before it are done: the caller's part (appending a file,
/// joining a key's records) runs while later items are still being worked on, and a result
/// is freed once taken. When `take` fails, the workers stop after their current item and the
/// error is returned.
pub fn stream_ordered<T: Sync, R: Send, E>(
    items: &[T],
    work: impl Fn(&T) -> R + Sync,
    mut take: impl FnMut(usize, R) -> Result<(), E>,
) -> Result<(), E> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len())
        .max(1);
    let (next, stop) = (AtomicUsize::new(0), AtomicBool::new(false));
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::channel();
        for _ in 0..threads {
            let (tx, next, stop, work) = (tx.clone(), &next, &stop, &work);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    if tx.send((i, work(item))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut waiting: BTreeMap<usize, R> = BTreeMap::new();
        let mut want = 0;
        let result = (|| {
            for (i, r) in &rx {
                waiting.insert(i, r);
                while let Some(r) = waiting.remove(&want) {
                    take(want, r)?;
                    want += 1;
                }
            }
            Ok(())
        })();
        stop.store(true, Ordering::Relaxed);
        drop(rx);
        result
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u64> = (0..1000).collect();
        let out = super::map_ordered(&items, |x| x * 2);
        assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert!(super::map_ordered(&[] as &[u8], |x| *x).is_empty());
    }

    #[test]
    fn streamed_results_are_taken_in_order_and_an_error_stops_the_stream() {
        let items: Vec<u64> = (0..200).collect();
        let mut seen = Vec::new();
        // Later items finish first: their results must wait for the earlier ones.
        let slow_first = |x: &u64| {
            std::thread::sleep(std::time::Duration::from_micros(200 - x));
            x * 3
        };
        super::stream_ordered(&items, slow_first, |i, r| {
            seen.push((i, r));
            Ok::<(), ()>(())
        })
        .expect("no error");
        assert_eq!(
            seen,
            items.iter().map(|&x| (x as usize, x * 3)).collect::<Vec<_>>()
        );
        let mut taken = 0;
        let e = super::stream_ordered(
            &items,
            |x| *x,
            |i, _| {
                taken += 1;
                if i == 10 { Err(i) } else { Ok(()) }
            },
        );
        assert_eq!((e, taken), (Err(10), 11), "nothing is taken after the error");
    }
}
