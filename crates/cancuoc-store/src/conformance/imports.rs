//! An import under way never stops the register (issue 15, §4): desks read and write
//! while it runs, nothing of it shows until all of it does, and one that fails half way
//! leaves nothing behind.

use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::lock::Mutex;

use super::*;

/// Rows sent before the import is held up: ten of the smallest chunks, which is what
/// every backend gathers before it writes.
const FIRST_PART: usize = 10 * IMPORT_CHUNK;

/// Lets the other futures of the task run once.
async fn yield_once() {
    let mut yielded = false;
    futures_util::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}

/// `future`'s output, or a panic naming `what` if it takes longer than `limit` (the
/// suite has no runtime of its own to time it with).
async fn within<T>(limit: std::time::Duration, what: &str, future: impl Future<Output = T>) -> T {
    let deadline = std::time::Instant::now() + limit;
    let clock = async {
        while std::time::Instant::now() < deadline {
            yield_once().await;
        }
    };
    match futures_util::future::select(std::pin::pin!(future), std::pin::pin!(clock)).await {
        futures_util::future::Either::Left((out, _)) => out,
        futures_util::future::Either::Right(_) => panic!("{what} took more than {limit:?}"),
    }
}

fn people(from: usize, n: usize) -> Vec<ImportRow> {
    let place = thach_ha();
    (from..from + n)
        .map(|i| {
            row(
                i + 2,
                person(
                    &format!("042091{i:06}"),
                    &format!("Người Nhập {i}"),
                    "1991",
                    &place,
                ),
                place.clone(),
            )
        })
        .collect()
}

/// An import whose file stops after `FIRST_PART` rows until `gate` is unlocked, then
/// brings `rest` (rows, or the error a file that breaks off gives).
fn held_up<'a>(
    first: Vec<ImportRow>,
    rest: Result<Vec<ImportRow>>,
    gate: &'a Mutex<()>,
) -> ImportStream<'a> {
    let rows_at_most = first.len() + rest.as_ref().map_or(0, Vec::len);
    let chunk = |rows: &[ImportRow]| PreparedChunk::new(rows.to_vec());
    let first: Vec<Result<PreparedChunk>> = first.chunks(IMPORT_CHUNK).map(chunk).collect();
    let after = futures_util::stream::once(async move {
        drop(gate.lock().await);
        match rest {
            Ok(rows) => rows.chunks(IMPORT_CHUNK).map(chunk).collect::<Vec<_>>(),
            Err(e) => vec![Err(e)],
        }
    })
    .flat_map(futures_util::stream::iter);
    ImportStream {
        source: "dang-nhap.csv".into(),
        file_hash: "held-up".into(),
        rows_at_most,
        chunks: Box::pin(futures_util::stream::iter(first).chain(after)),
    }
}

async fn found_by_name(store: &Arc<dyn Store>, name: &str) -> usize {
    store
        .search_citizens(
            &admin_access(T0),
            &CitizenQuery {
                name_key: Some(cancuoc_domain::text::fold(name)),
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items
        .len()
}

/// While an import waits half way through its file, a desk looks a citizen up (an
/// audited read: a write on SQLite) and gets an answer, and finds none of the rows
/// already written; once the file ends, every row shows.
pub async fn an_import_under_way_lets_desks_through_and_shows_nothing(store: Arc<dyn Store>) {
    seeded(&store).await;
    let place = thach_ha();
    let at_desk = person("042190990002", "Người Ở Quầy", "1980", &place);
    import_people(&store, vec![(at_desk.clone(), place)]).await;

    let gate = Mutex::new(());
    let held = gate.lock().await;
    let written = AtomicU64::new(0);
    let importer = admin_access(T0);
    let progress = |n| written.store(n, Ordering::SeqCst);
    let import = store.import_forms(
        &importer,
        held_up(people(0, FIRST_PART), Ok(people(FIRST_PART, 500)), &gate),
        &progress,
    );
    let desk = async {
        while written.load(Ordering::SeqCst) < FIRST_PART as u64 {
            yield_once().await;
        }
        let officer = admin_access(T0);
        let look_up = store.citizen(&officer, &at_desk.personal_id);
        let found = within(
            Duration::from_secs(5),
            "a look-up during an import",
            look_up,
        )
        .await
        .expect("a look-up during an import is answered");
        assert_eq!(found.map(|c| c.data.full_name), Some(at_desk.full_name));
        assert_eq!(found_by_name(&store, "Người Nhập 7").await, 0);
        drop(held);
    };
    let (imported, ()) = futures_util::future::join(import, desk).await;
    assert_eq!(imported.unwrap().inserted, (FIRST_PART + 500) as u64);
    assert_eq!(found_by_name(&store, "Người Nhập 7").await, 1);
    assert_eq!(
        found_by_name(&store, &format!("Người Nhập {}", FIRST_PART + 499)).await,
        1
    );
}

/// A file that breaks off after rows were written: nothing of it ever shows, and the
/// same rows import afterwards as new (nothing of the failed run holds their IDs).
pub async fn an_import_that_fails_half_way_leaves_nothing(store: Arc<dyn Store>) {
    seeded(&store).await;
    let gate = Mutex::new(());
    let broken = Err(StoreError::Invalid("the file breaks off".into()));
    let failed = store
        .import_forms(
            &admin_access(T0),
            held_up(people(0, FIRST_PART), broken, &gate),
            &|_| {},
        )
        .await;
    assert!(matches!(failed, Err(StoreError::Invalid(_))), "{failed:?}");
    assert_eq!(found_by_name(&store, "Người Nhập 7").await, 0);

    let again = store
        .import_forms(
            &admin_access(T0),
            batch(people(0, FIRST_PART)).stream(),
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!(again.inserted, FIRST_PART as u64);
    assert_eq!(found_by_name(&store, "Người Nhập 7").await, 1);
}
