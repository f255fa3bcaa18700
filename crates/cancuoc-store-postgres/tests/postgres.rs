//! What only the PostgreSQL backend can get wrong: COPY's escaping, the audit lock under
//! concurrent callers, the append-only trigger and the byte-order collation. Skipped (and
//! saying so) without `CANCUOC_TEST_POSTGRES`, like the conformance suite.

// clippy.toml lets #[test] functions unwrap; the helpers around them may too: a panic
// here is the failure report.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::Arc;

use cancuoc_domain::audit::{GENESIS_HASH, verify_chain};
use cancuoc_domain::citizen::CitizenData;
use cancuoc_domain::personal_id::{IdPrefix, SerialPermutation};
use cancuoc_domain::{AdminCode, Locality, Sex};
use cancuoc_store::conformance::{
    admin_access, application, ha_tinh, officer_of_unit, people, person, seeded,
};
use cancuoc_store::*;
use cancuoc_store_postgres::PostgresStore;
use sqlx::{ConnectOptions, Connection};
use uuid::Uuid;

const ENV: &str = "CANCUOC_TEST_POSTGRES";
const T0: i64 = 1_615_852_800_000_000;

async fn fresh() -> Option<(PostgresStore, Arc<dyn Store>)> {
    let Ok(admin_url) = std::env::var(ENV) else {
        let _ = writeln!(std::io::stderr(), "skipped: {ENV} not set");
        return None;
    };
    let store = cancuoc_store_postgres::connect_scratch(
        &admin_url,
        cancuoc_store::conformance::test_audit_key(),
    )
    .await
    .unwrap();
    seeded(&(Arc::new(store.clone()) as Arc<dyn Store>)).await;
    Some((store.clone(), Arc::new(store)))
}

/// A raw connection to the store's scratch database.
async fn raw(store: &PostgresStore) -> sqlx::PgConnection {
    let url = std::env::var(ENV).unwrap();
    let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    options
        .database(store.backend_ref().scratch_name().unwrap())
        .connect()
        .await
        .unwrap()
}

fn code(s: &str) -> AdminCode {
    AdminCode::parse(s).unwrap()
}

fn thach_ha() -> Locality {
    Locality {
        province: code("42"),
        district: Some(code("445")),
        commune: ha_tinh()
            .into_iter()
            .find(|u| u.parent.as_ref().is_some_and(|p| p.as_str() == "445"))
            .unwrap()
            .code,
    }
}

async fn chain_length(store: &Arc<dyn Store>) -> usize {
    let events = store.audit_events(0, 1_000_000).await.unwrap();
    verify_chain(
        &cancuoc_store::conformance::test_audit_key(),
        (None, GENESIS_HASH.into()),
        &events,
    )
    .unwrap();
    events.len()
}

#[tokio::test]
async fn copy_keeps_awkward_text_intact() {
    let Some((_, store)) = fresh().await else {
        return;
    };
    let awkward = "Thôn \"Đông\", xóm 3\n\\.\nngõ \\N, \t tab; ''";
    let mut head = person("042070000001", "Trịnh Văn Sơn", "1970", &thach_ha());
    head.household_number = Some("HH,\"1\"".into());
    head.relation_to_head = Some("Chủ hộ".into());
    head.other_names = Some(awkward.into());
    let batch = PopulationBatch {
        households: vec![
            NewHousehold {
                number: "HH,\"1\"".into(),
                commune: thach_ha().commune,
                address: awkward.into(),
                head: None,
            },
            // A repeated number merges like consecutive upserts: the last head named wins.
            NewHousehold {
                number: "HH,\"1\"".into(),
                commune: thach_ha().commune,
                address: "ignored".into(),
                head: Some(head.personal_id),
            },
        ],
        citizens: vec![NewCitizen::new(Uuid::now_v7(), &head, Some(&thach_ha())).unwrap()],
        source: "seed \"7\",\n\\.".into(),
    };
    assert_eq!(
        store
            .load_population(&admin_access(T0), &batch)
            .await
            .unwrap(),
        1
    );
    let h = store
        .household(&admin_access(T0), "HH,\"1\"")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(h.address, awkward);
    assert_eq!(h.head, Some(head.personal_id));
    let got = store
        .citizen(&admin_access(T0), &head.personal_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.data, head);
    assert_eq!(got.locality, Some(thach_ha()));
    let history = store
        .citizen_history(&admin_access(T0), &head.personal_id)
        .await
        .unwrap();
    assert_eq!(history[0].source, batch.source);
    assert!(history[0].changed_fields.is_empty());
}

#[tokio::test]
async fn a_failed_load_leaves_nothing_behind() {
    let Some((_, store)) = fresh().await else {
        return;
    };
    let a = person("042070000001", "Trịnh Văn Sơn", "1970", &thach_ha());
    let citizen =
        |data: CitizenData| NewCitizen::new(Uuid::now_v7(), &data, Some(&thach_ha())).unwrap();
    let before = chain_length(&store).await;
    let twice = PopulationBatch {
        households: vec![NewHousehold {
            number: "HH-9".into(),
            commune: thach_ha().commune,
            address: "Thôn 9".into(),
            head: None,
        }],
        citizens: vec![citizen(a.clone()), citizen(a.clone())],
        source: "twice".into(),
    };
    assert!(matches!(
        store.load_population(&admin_access(T0), &twice).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        store
            .household(&admin_access(T0), "HH-9")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .citizen(&admin_access(T0), &a.personal_id)
            .await
            .unwrap()
            .is_none()
    );
    // The two reads above are the only new events.
    assert_eq!(chain_length(&store).await, before + 2);
}

#[tokio::test]
async fn concurrent_callers_keep_one_unbroken_chain() {
    let Some((_, store)) = fresh().await else {
        return;
    };
    let p = person("042090000001", "Trần Văn Bình", "01/02/1990", &thach_ha());
    let row = |n: usize, data| ImportRow {
        row: n,
        new_key: Uuid::now_v7(),
        data,
        locality: Some(thach_ha()),
        findings: Vec::new(),
    };
    let mut flagged = row(3, person("042191000002", "Vũ Thị Lan", "1991", &thach_ha()));
    flagged.findings = vec!["missing field que_quan".into()];
    let batch = ImportBatch {
        source: "forms.csv".into(),
        file_hash: "abc".into(),
        rows: vec![row(2, p.clone()), flagged],
    };
    let prefix = IdPrefix::new("42", Sex::Female, 2021).unwrap();
    let perm = SerialPermutation::new(b"concurrency", &prefix);
    let mut tasks = tokio::task::JoinSet::new();
    // The same file imported four times at once: one applies it, the others change nothing.
    for _ in 0..4 {
        let (store, batch) = (store.clone(), batch.clone());
        tasks.spawn(async move {
            let out = store
                .import_forms(&admin_access(T0), batch.stream(), &|_| {})
                .await
                .unwrap();
            (out.inserted, out.staged.len())
        });
    }
    let mut ids = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (store, prefix, perm) = (store.clone(), prefix.clone(), perm.clone());
        ids.spawn(async move {
            store
                .allocate_personal_id(&admin_access(T0), &prefix, &perm)
                .await
                .unwrap()
        });
    }
    for _ in 0..20 {
        let (store, pid) = (store.clone(), p.personal_id);
        ids.spawn(async move {
            store.citizen(&admin_access(T0), &pid).await.unwrap();
            store
                .append_audit(
                    &admin_access(T0),
                    "auth.login",
                    "officer",
                    "admin",
                    cancuoc_domain::audit::Outcome::Done,
                )
                .await
                .unwrap();
            pid
        });
    }
    let outcomes: Vec<_> = tasks.join_all().await;
    assert_eq!(
        outcomes.iter().filter(|o| **o == (1, 1)).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes.iter().filter(|o| **o == (0, 0)).count(),
        3,
        "{outcomes:?}"
    );
    let mut allocated: Vec<_> = ids
        .join_all()
        .await
        .into_iter()
        .filter(|id| *id != p.personal_id)
        .collect();
    assert_eq!(allocated.len(), 20);
    allocated.sort();
    allocated.dedup();
    assert_eq!(allocated.len(), 20);
    let staged = store
        .staged_forms(
            &admin_access(T0),
            &FormQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items;
    assert_eq!(staged.len(), 1);
    // seeded + 4 imports + 20 allocations + 20 reads + 20 logins + the list.
    assert_eq!(chain_length(&store).await, 4 + 20 + 40 + 1);
}

#[tokio::test]
async fn the_trail_refuses_changes_in_the_database_itself() {
    let Some((pg, store)) = fresh().await else {
        return;
    };
    store
        .append_audit(
            &admin_access(T0),
            "auth.login",
            "officer",
            "admin",
            cancuoc_domain::audit::Outcome::Done,
        )
        .await
        .unwrap();
    let mut conn = raw(&pg).await;
    for sql in [
        "UPDATE audit_events SET actor = 'someone else'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "DELETE FROM audit_head",
    ] {
        let err = sqlx::raw_sql(sql).execute(&mut conn).await.unwrap_err();
        assert!(
            err.to_string().contains("cannot") || err.to_string().contains("append-only"),
            "{sql}: {err}"
        );
    }
    conn.close().await.unwrap();
    assert_eq!(chain_length(&store).await, 1);
}

/// With the triggers dropped by someone who owns the database, an event can be rewritten
/// and the next one relinked; without the MAC key the rewritten event fails its MAC.
#[tokio::test]
async fn a_chain_rewritten_in_the_database_fails_its_mac() {
    let Some((pg, store)) = fresh().await else {
        return;
    };
    for user in ["an", "binh", "chi"] {
        store
            .append_audit(
                &admin_access(T0),
                "auth.login",
                "officer",
                user,
                cancuoc_domain::audit::Outcome::Done,
            )
            .await
            .unwrap();
    }
    let mut conn = raw(&pg).await;
    let forged = "cd".repeat(32);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP TRIGGER audit_events_no_update_or_delete ON audit_events;
         UPDATE audit_events SET record_key = 'someone', hash = '{forged}' WHERE seq = 2;
         UPDATE audit_events SET prev_hash = '{forged}' WHERE seq = 3;"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let events = store.audit_events(0, 100).await.unwrap();
    assert_eq!(
        verify_chain(
            &cancuoc_store::conformance::test_audit_key(),
            (None, GENESIS_HASH.into()),
            &events,
        ),
        Err(cancuoc_domain::audit::ChainBreak::Mac { seq: 2 })
    );
}

/// The newest events removed by someone who owns the database leave a chain that is
/// sound in itself, but shorter than the signed checkpoint kept outside the database.
#[tokio::test]
async fn newest_events_removed_in_the_database_are_found_by_the_checkpoint() {
    use cancuoc_domain::audit::{ChainBreak, CheckpointKey, verify_checkpoints};
    let Some((pg, store)) = fresh().await else {
        return;
    };
    for user in ["an", "binh", "chi", "dung"] {
        store
            .append_audit(
                &admin_access(T0),
                "auth.login",
                "officer",
                user,
                cancuoc_domain::audit::Outcome::Done,
            )
            .await
            .unwrap();
    }
    let signer = CheckpointKey::from_bytes([3; 32]);
    let head = store.audit_events(0, 100).await.unwrap().pop().unwrap();
    let checkpoint = signer.sign(head.seq, &head.hash, T0);
    let mut conn = raw(&pg).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP TRIGGER audit_events_no_update_or_delete ON audit_events;
         DELETE FROM audit_events WHERE seq >= {};",
        head.seq - 1
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let events = store.audit_events(0, 100).await.unwrap();
    let key = cancuoc_store::conformance::test_audit_key();
    let (last, _) = verify_chain(&key, (None, GENESIS_HASH.into()), &events).unwrap();
    assert_eq!(
        verify_checkpoints(
            [&checkpoint],
            &signer.public_hex(),
            |seq| events
                .iter()
                .find(|e| e.seq == seq)
                .map(|e| e.hash.as_str()),
            last,
        ),
        Err(ChainBreak::Truncated {
            checkpoint: head.seq,
            last: Some(head.seq - 2),
        })
    );
}

#[tokio::test]
async fn names_compare_as_bytes_whatever_the_locale() {
    let Some((pg, store)) = fresh().await else {
        return;
    };
    // Scratch databases get a Vietnamese ICU collation where the server has ICU; under it
    // "AN B_C" sorts before "AN B,C", in bytes after. The register must sort like SQLite.
    let mut conn = raw(&pg).await;
    let provider: String = sqlx::query_scalar(
        "SELECT datlocprovider::text FROM pg_database WHERE datname = current_database()",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    if provider != "i" {
        let _ = writeln!(
            std::io::stderr(),
            "note: no ICU here, the database collates bytewise anyway"
        );
    }
    conn.close().await.unwrap();
    let names = ["An B_C", "Anb", "An B,C", "An", "An B-C", "AnA", "An B C"];
    let rows = names
        .iter()
        .enumerate()
        .map(|(i, name)| ImportRow {
            row: i + 2,
            new_key: Uuid::now_v7(),
            data: person(
                &format!("04209000000{i}"),
                name,
                &format!("0{}/01/1990", i + 1),
                &thach_ha(),
            ),
            locality: Some(thach_ha()),
            findings: Vec::new(),
        })
        .collect();
    let batch = ImportBatch {
        source: "names.csv".into(),
        file_hash: "n".into(),
        rows,
    };
    let out = store
        .import_forms(&admin_access(T0), batch.stream(), &|_| {})
        .await
        .unwrap();
    assert!(out.staged.is_empty(), "{out:?}");
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .search_citizens(
                &admin_access(T0),
                &CitizenQuery {
                    name_key: Some("AN".into()),
                    cursor: cursor.clone(),
                    limit: 2,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        seen.extend(page.items.into_iter().map(|c| c.data.full_name));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, vec!["An", "An B C", "An B,C", "An B-C", "An B_C"]);
}

/// An import holds no lock that a look-up needs (issue 15 §4): while an import is open
/// and waiting for its next chunk, an audited look-up goes through, and a review (which
/// may create records too) waits; then the import finishes and the review goes on.
#[tokio::test]
async fn a_look_up_is_served_while_an_import_is_open() {
    use futures_util::StreamExt;
    let Some((_, store)) = fresh().await else {
        return;
    };
    let known = person("042070000011", "Lò Văn Pọm", "1970", &thach_ha());
    let fresh_row = |n: usize, pid: &str, name: &str| ImportRow {
        row: n,
        new_key: Uuid::now_v7(),
        data: person(pid, name, "1980", &thach_ha()),
        locality: Some(thach_ha()),
        findings: Vec::new(),
    };
    store
        .import_forms(
            &admin_access(T0),
            ImportBatch {
                source: "first.csv".into(),
                file_hash: "first".into(),
                rows: vec![
                    ImportRow {
                        row: 2,
                        new_key: Uuid::now_v7(),
                        data: known.clone(),
                        locality: Some(thach_ha()),
                        findings: Vec::new(),
                    },
                    ImportRow {
                        row: 3,
                        new_key: Uuid::now_v7(),
                        data: person("042175000012", "Lò Văn Pánh", "1975", &thach_ha()),
                        locality: Some(thach_ha()),
                        findings: vec!["missing field que_quan".into()],
                    },
                ],
            }
            .stream(),
            &|_| {},
        )
        .await
        .unwrap();

    let staged = store
        .staged_forms(
            &admin_access(T0),
            &FormQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items
        .pop()
        .expect("the row with a finding is staged");

    // The second import's rows arrive in two parts; the second part waits for `go`.
    let (go, wait) = tokio::sync::oneshot::channel::<()>();
    let first = PreparedChunk::new(vec![fresh_row(2, "042180000021", "Lò Thị Ón")]);
    let second = async move {
        let _ = wait.await;
        PreparedChunk::new(vec![fresh_row(3, "042180000022", "Lò Thị Xuân")])
    };
    let chunks = futures_util::stream::iter([first])
        .chain(futures_util::stream::once(second))
        .boxed();
    let importing = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .import_forms(
                    &admin_access(T0),
                    ImportStream {
                        source: "second.csv".into(),
                        file_hash: "second".into(),
                        rows_at_most: 2,
                        chunks,
                    },
                    &|_| {},
                )
                .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!importing.is_finished(), "the import is still open");
    let looked_up = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        store.citizen(&admin_access(T0), &known.personal_id),
    )
    .await
    .expect("the look-up did not wait for the import")
    .unwrap();
    assert!(looked_up.is_some());
    // A review, which may create records too, waits for the import instead.
    let reviewing = {
        let store = store.clone();
        let form = staged.id;
        tokio::spawn(async move {
            let reviewer = cancuoc_store::conformance::officer_of_unit("PC06-42", "tam.vt");
            store
                .decide_form(
                    &reviewer,
                    cancuoc_domain::Role::ProvinceOfficer,
                    form,
                    &FormDecision::Verify,
                )
                .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!reviewing.is_finished(), "the review waits for the import");
    go.send(()).unwrap();
    let outcome = importing.await.unwrap().unwrap();
    assert_eq!(outcome.inserted, 2);
    let verified = reviewing.await.unwrap().unwrap();
    assert_eq!(verified.status, FormStatus::Verified);
    assert!(chain_length(&store).await > 0);
}

/// The first microsecond of a day in Vietnam, plus `plus` microseconds.
fn vn(y: i16, m: i8, d: i8, plus: i64) -> i64 {
    cancuoc_domain::audit::month_start_micros(jiff::civil::date(y, m, d)) + plus
}

/// The audit trail is partitioned by month (Vietnam time): events land in their month,
/// a month is listed with its first and last events, months long past are detached with
/// those kept, the chain left verifies from them and goes on where it ended, and a
/// partition refuses changes like the table.
#[tokio::test]
async fn audit_months_are_partitions_detached_with_their_first_and_last_hashes() {
    let Ok(admin_url) = std::env::var(ENV) else {
        let _ = writeln!(std::io::stderr(), "skipped: {ENV} not set");
        return;
    };
    let pg = cancuoc_store_postgres::connect_scratch(
        &admin_url,
        cancuoc_store::conformance::test_audit_key(),
    )
    .await
    .unwrap();
    let store: Arc<dyn Store> = Arc::new(pg.clone());
    let made = store
        .prepare_audit_months(jiff::civil::date(2021, 3, 16))
        .await
        .unwrap();
    assert_eq!(
        made,
        [
            "audit_events_2021_03",
            "audit_events_2021_04",
            "audit_events_2021_05"
        ]
    );
    // Made once: the next call finds them.
    assert!(
        store
            .prepare_audit_months(jiff::civil::date(2021, 3, 31))
            .await
            .unwrap()
            .is_empty()
    );
    let append = |at: i64, who: &'static str| {
        let store = store.clone();
        async move {
            store
                .append_audit(
                    &admin_access(at),
                    "auth.login",
                    "officer",
                    who,
                    cancuoc_domain::audit::Outcome::Done,
                )
                .await
                .unwrap()
        }
    };
    // 1 March 00:00 in Vietnam is still February in UTC: March's all the same.
    append(vn(2021, 3, 1, 0), "an").await;
    append(vn(2021, 3, 31, 86_399_000_000), "binh").await;
    append(vn(2021, 4, 1, 0), "chi").await;
    append(vn(2021, 4, 20, 0), "dung").await;
    append(vn(2021, 5, 2, 0), "em").await;
    let mut conn = raw(&pg).await;
    let placed: Vec<(String, i64)> =
        sqlx::query_as("SELECT tableoid::regclass::text, seq FROM audit_events ORDER BY seq")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    assert_eq!(
        placed,
        [
            ("audit_events_2021_03".to_owned(), 1),
            ("audit_events_2021_03".to_owned(), 2),
            ("audit_events_2021_04".to_owned(), 3),
            ("audit_events_2021_04".to_owned(), 4),
            ("audit_events_2021_05".to_owned(), 5),
        ]
    );
    let events = store.audit_events(0, 100).await.unwrap();
    let months = store.audit_months().await.unwrap();
    let march = months
        .iter()
        .find(|m| m.name == "audit_events_2021_03")
        .unwrap();
    assert_eq!(march.events, 2);
    assert_eq!(march.first, Some((1, GENESIS_HASH.to_owned())));
    assert_eq!(march.last, Some((2, events[1].hash.clone())));

    // A partition refuses changes as the table does.
    for sql in [
        "DELETE FROM audit_events_2021_03",
        "UPDATE audit_events_2021_04 SET actor = 'x'",
        "TRUNCATE audit_events_2021_03",
    ] {
        let err = sqlx::raw_sql(sql).execute(&mut conn).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }

    // Months before June: March and April go; May holds the last event and stays.
    let archived = store
        .archive_audit_months(
            &admin_access(vn(2021, 5, 3, 0)),
            jiff::civil::date(2021, 6, 1),
        )
        .await
        .unwrap();
    let names: Vec<&str> = archived.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["audit_events_2021_03", "audit_events_2021_04"]);
    let attached: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'audit_events'::regclass ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(
        !attached.contains(&"audit_events_2021_03".to_owned()),
        "{attached:?}"
    );
    assert!(attached.contains(&"audit_events_2021_05".to_owned()));
    // The detached month is still a table, whole.
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events_2021_04")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(kept, 2);

    // The trail left verifies from the last archived event, kept with its month.
    let anchor = store.audit_anchor(None).await.unwrap();
    assert_eq!(anchor, Some((4, events[3].hash.clone())));
    let left = store.audit_events(0, 100).await.unwrap();
    assert_eq!(left.first().map(|e| e.seq), Some(5));
    let key = cancuoc_store::conformance::test_audit_key();
    let (last, _) = verify_chain(&key, (Some(4), events[3].hash.clone()), &left).unwrap();
    // The archive's own events (one per month) followed, in May.
    assert_eq!(last, Some(7));
    // A month verifies on its own from the event before it.
    let anchor_may = store.audit_anchor(Some(vn(2021, 5, 1, 0))).await.unwrap();
    assert_eq!(anchor_may, Some((4, events[3].hash.clone())));
    let months = store.audit_months().await.unwrap();
    assert!(months.iter().filter(|m| m.archived).count() == 2);

    // Appends go on from the tail, whatever was detached.
    let next = append(vn(2021, 5, 4, 0), "giang").await;
    assert_eq!(next.seq, 8);
    // Archiving again finds nothing more to detach before May.
    assert!(
        store
            .archive_audit_months(
                &admin_access(vn(2021, 5, 5, 0)),
                jiff::civil::date(2021, 5, 1)
            )
            .await
            .unwrap()
            .is_empty()
    );
    conn.close().await.unwrap();
}

/// A report on the kept counts' day reads them, not the register: a count changed behind
/// the store's back shows in the report, and `verify` names the place.
#[tokio::test]
async fn the_eligible_report_reads_the_kept_counts_and_verify_finds_drift() {
    let Some((pg, store)) = fresh().await else {
        return;
    };
    let day = jiff::civil::date(2021, 3, 16);
    store.advance_eligible(day).await.unwrap();
    let place = thach_ha();
    let people = vec![
        (
            person("042190000041", "Đỗ Thị Mai", "01/01/1990", &place),
            place.clone(),
        ),
        (
            person("042091000042", "Đỗ Văn Hùng", "02/02/1991", &place),
            place.clone(),
        ),
    ];
    cancuoc_store::conformance::import_people(&store, people).await;
    let national = EligibleQuery {
        within: None,
        group_by: cancuoc_domain::AdminLevel::Province,
        on: day,
    };
    let total = |groups: Vec<(Option<String>, u64)>| groups.iter().map(|(_, n)| n).sum::<u64>();
    assert_eq!(
        total(store.eligible(&admin_access(T0), &national).await.unwrap()),
        2
    );
    let mut conn = raw(&pg).await;
    sqlx::raw_sql("UPDATE eligible_counts SET eligible = eligible + 5")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    assert_eq!(
        total(store.eligible(&admin_access(T0), &national).await.unwrap()),
        7
    );
    // Another day is counted from the register.
    let next = EligibleQuery {
        on: jiff::civil::date(2021, 3, 17),
        ..national
    };
    assert_eq!(
        total(store.eligible(&admin_access(T0), &next).await.unwrap()),
        2
    );
    let check = store.verify_eligible_counts().await.unwrap();
    assert_eq!(check.mismatches.len(), 1);
    let m = &check.mismatches[0];
    assert_eq!((m.kept, m.recounted), (7, 2));
    assert_eq!(m.commune, place.commune.as_str());
}

/// The register's indexes as PostgreSQL defines them.
async fn index_definitions(conn: &mut sqlx::PgConnection) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT indexname::text, indexdef FROM pg_indexes
         WHERE schemaname = current_schema() AND tablename = 'citizen_rows' ORDER BY 1",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

/// The register's indexes by name, with their OIDs (new when an index is made again).
async fn index_oids(conn: &mut sqlx::PgConnection) -> Vec<(String, i64)> {
    sqlx::query_as(
        "SELECT c.relname::text, c.oid::bigint FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE i.indrelid = 'citizen_rows'::regclass ORDER BY 1",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

/// Server nodes share the database's claim; an import has it to itself only when none
/// holds it, and a server is then turned away until it ends.
#[tokio::test]
async fn servers_share_the_claim_and_an_import_has_it_only_alone() {
    use cancuoc_store_postgres::{Claimant, claim};
    let Some((store, _)) = fresh().await else {
        return;
    };
    let url = store.backend_ref().scratch_url().unwrap().to_owned();
    let a = claim(&url, Claimant::Server).await.unwrap();
    let b = claim(&url, Claimant::Server).await.unwrap();
    assert!(a.is_some() && b.is_some());
    assert!(claim(&url, Claimant::Import).await.unwrap().is_none());
    drop((a, b));
    let import = claim(&url, Claimant::Import).await.unwrap();
    assert!(import.is_some());
    match claim(&url, Claimant::Server).await {
        Err(StoreError::Conflict(reason)) => {
            assert!(reason.contains("an import"), "{reason}")
        }
        other => panic!(
            "a server beside an import: {:?}",
            other.map(|c| c.is_some())
        ),
    }
    drop(import);
    assert!(claim(&url, Claimant::Server).await.unwrap().is_some());
}

/// With the database to itself a large import sets seven secondary indexes aside and
/// builds them again from PostgreSQL's own definitions: a failure leaves them and the
/// tables as they were, a success leaves them exactly as the migrations made them, and
/// the kept eligible counts agree with a recount.
#[tokio::test]
async fn a_large_import_alone_sets_indexes_aside_and_builds_them_again() {
    use cancuoc_store::conformance::{
        batch, numbered_rows, numbered_rows_failing_at_the_end, numbered_rows_landed,
    };
    const ROWS: usize = cancuoc_store_sql::LARGE_IMPORT_ROWS;
    let Some((scratch, _)) = fresh().await else {
        return;
    };
    let store: Arc<dyn Store> = Arc::new(
        cancuoc_store_postgres::connect_as(
            scratch.backend_ref().scratch_url().unwrap(),
            cancuoc_store::conformance::test_audit_key(),
            cancuoc_store_postgres::Sharing::Alone,
        )
        .await
        .unwrap(),
    );
    store
        .advance_eligible(jiff::civil::date(2021, 3, 16))
        .await
        .unwrap();
    let mut conn = raw(&scratch).await;
    let before = index_definitions(&mut conn).await;
    assert!(
        before
            .iter()
            .any(|(name, _)| name == "citizens_by_province")
    );
    const CITIZENS: &str = "SELECT count(*) FROM citizen_rows";
    let held: i64 = sqlx::query_scalar(CITIZENS)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let failing = batch(numbered_rows_failing_at_the_end(ROWS));
    assert!(
        store
            .import_forms(&admin_access(T0), failing.stream(), &|_| {})
            .await
            .is_err()
    );
    assert_eq!(index_definitions(&mut conn).await, before);
    let after: i64 = sqlx::query_scalar(CITIZENS)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(after, held);

    let oids_before = index_oids(&mut conn).await;
    let rows = batch(numbered_rows(ROWS));
    let out = store
        .import_forms(&admin_access(T0), rows.stream(), &|_| {})
        .await
        .unwrap();
    assert_eq!(out.inserted, ROWS as u64);
    assert_eq!(index_definitions(&mut conn).await, before);
    // The set-aside indexes are new ones (new OIDs); the ones the import reads stayed.
    let oids_after = index_oids(&mut conn).await;
    let rebuilt: Vec<&str> = oids_before
        .iter()
        .zip(&oids_after)
        .filter(|(b, a)| b.1 != a.1)
        .map(|(b, _)| b.0.as_str())
        .collect();
    assert_eq!(
        rebuilt,
        [
            "citizen_rows_by_birth_date",
            "citizens_by_commune",
            "citizens_by_district",
            "citizens_by_household",
            "citizens_by_name",
            "citizens_by_old_id",
            "citizens_by_province",
        ]
    );
    numbered_rows_landed(&store, ROWS).await;
}

/// The SQLSTATE of a statement on one application that must fail.
async fn refused(conn: &mut sqlx::PgConnection, sql: &'static str, key: String) -> String {
    let err = sqlx::query(sql)
        .bind(key)
        .execute(&mut *conn)
        .await
        .err()
        .unwrap();
    err.as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned())
        .unwrap_or_default()
}

/// The open application the database holds for the first of the people.
async fn open_for_first(conn: &mut sqlx::PgConnection) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT application_key FROM open_applications WHERE personal_id = '042090000001'",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

/// An application row written by hand, as an insider with a database login would.
const BY_HAND: &str = "INSERT INTO applications (key, receipt, personal_id, kind, channel,
        intake_unit, home_province, officer, intake_micros, intake_date, due_date, fee_vnd,
        fee_basis, old_card_returned, state, version, idempotency_key)
    VALUES ($1, $2, '042090000001', 'cmnd_switch', 'fixed', 'CAH-001', $3, 'insider', 0,
        '2021-03-16', '2021-03-25', 0, 'by hand', 1, $4, 1, $5)";

#[tokio::test]
async fn applications_live_in_their_provinces_partition_under_national_rules() {
    let Some((pg, store)) = fresh().await else {
        return;
    };
    people(&store).await;
    let desk = officer_of_unit("CAH-445", "officer-CAH-445");
    let filed = store
        .file_applications(&desk, &[application("042090000001", Some("desk-1"))])
        .await
        .unwrap();
    let a = filed[0].application.clone();
    let key = a.key.to_string();
    let receipt = a.receipt.to_string();
    let mut conn = raw(&pg).await;

    // One partition per province of the code list and a default one, for both tables.
    for parent in ["applications", "application_events"] {
        let parts: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = $1::regclass")
                .bind(parent)
                .fetch_one(&mut conn)
                .await
                .unwrap();
        assert_eq!(parts, 64, "{parent}");
    }
    // Hà Tĩnh's application and its history live in Hà Tĩnh's partitions.
    let held: String =
        sqlx::query_scalar("SELECT tableoid::regclass::text FROM applications WHERE key = $1")
            .bind(&key)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(held, "applications_42");
    let history: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT tableoid::regclass::text FROM application_events
         WHERE application_key = $1",
    )
    .bind(&key)
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(history, ["application_events_42"]);

    // What must hold nationally holds in the database, across partitions.
    let other = Uuid::now_v7().to_string();
    let cases = [
        // A second open application for the same citizen, in another province.
        (&other, "HN-1", "01", "received", None),
        // The same key, the same receipt, the same idempotency key in another province.
        (&key, "HN-2", "01", "cancelled", None),
        (&other, receipt.as_str(), "01", "cancelled", None),
        (&other, "HN-3", "01", "cancelled", Some("desk-1")),
    ];
    for (k, r, province, state, idem) in cases {
        let mut query = sqlx::query(BY_HAND)
            .bind(k)
            .bind(r)
            .bind(province)
            .bind(state);
        query = query.bind(idem);
        let err = query.execute(&mut conn).await.expect_err("refused");
        let code = err.as_database_error().and_then(|e| e.code());
        assert_eq!(code.as_deref(), Some("23505"), "{r} {state}: {err}");
    }
    // What makes an application never changes: not its province, not its citizen.
    for sql in [
        "UPDATE applications SET home_province = '01' WHERE key = $1",
        "UPDATE applications SET personal_id = '042191000002' WHERE key = $1",
        "UPDATE applications SET receipt = 'HN-4' WHERE key = $1",
    ] {
        assert_eq!(refused(&mut conn, sql, key.clone()).await, "23000", "{sql}");
    }
    // A closed application elsewhere is not refused; it lives in its own province.
    sqlx::query(BY_HAND)
        .bind(&other)
        .bind("HN-5")
        .bind("01")
        .bind("cancelled")
        .bind(None::<&str>)
        .execute(&mut conn)
        .await
        .unwrap();
    let held: String =
        sqlx::query_scalar("SELECT tableoid::regclass::text FROM applications WHERE key = $1")
            .bind(&other)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(held, "applications_01");
    // Deleted by hand (nothing in the code deletes one), it lets go of its national keys.
    sqlx::query("DELETE FROM applications WHERE key = $1")
        .bind(&other)
        .execute(&mut conn)
        .await
        .unwrap();
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM application_keys WHERE key = $1")
        .bind(&other)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys, 0);

    // The open row follows the application's state: gone when it ends, and the citizen
    // can file again.
    assert_eq!(open_for_first(&mut conn).await, std::slice::from_ref(&key));
    let mut cancel = cancuoc_store::conformance::step(
        cancuoc_domain::application::Action::Cancel,
        cancuoc_domain::Role::DistrictOfficer,
    );
    cancel.reason = Some("Công dân rút hồ sơ".into());
    let cancelled = store
        .transition_application(&desk, a.key, &cancel)
        .await
        .unwrap();
    assert_eq!(cancelled.history.len(), 2);
    assert!(open_for_first(&mut conn).await.is_empty());
    // Two desks file for the citizen at once: one application is filed, the other is a
    // conflict.
    let (one, two) = futures_util::future::join(
        store.file_applications(&desk, &[application("042090000001", None)]),
        store.file_applications(&desk, &[application("042090000001", None)]),
    )
    .await;
    assert!(one.is_ok() != two.is_ok(), "exactly one: {one:?} {two:?}");
    let loser = one.as_ref().err().or(two.as_ref().err()).unwrap();
    assert!(matches!(loser, StoreError::Conflict(_)), "{loser:?}");
    let filed = one.or(two).unwrap();
    assert_eq!(
        open_for_first(&mut conn).await,
        [filed[0].application.key.to_string()]
    );
}
