//! Biometrics are written only for filings that happen (issue 14 §5): a refused filing
//! leaves no object in the vault, a failed transaction takes its object away, a replayed
//! idempotency key writes nothing, and keys are scoped to the unit that used them.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests report a failure by panicking"
)]

mod support;

use std::path::Path;
use std::sync::Arc;

use cancuoc_app::{App, AppError, Caller, Intake};
use cancuoc_domain::biometrics::{
    Capture, FingerCapture, FingerPosition, FlatPosition, Image, ImageRole, sample_jpeg,
};

/// Nam Hà (18073, district 436) and Ngọc Sơn (18565, district 445): An holds a CMND,
/// Cường does not, Hoa lives in another district.
const PEOPLE: &str = "so_dinh_danh,cmnd_cu,ho_ten,ngay_sinh,gioi_tinh,noi_dang_ky_khai_sinh,que_quan,\
dan_toc,ton_giao,quoc_tich,nhom_mau,tinh_trang_hon_nhan,thuong_tru_ma_xa,thuong_tru_dia_chi,so_ho,\
quan_he_chu_ho,ho_ten_cha,ho_ten_me
042090001234,123456789,Nguyễn Văn An,05/03/1990,Nam,42,42,Kinh,Không,VNM,O+,Đã kết hôn,18073,Tổ 1,HK001,Chủ hộ,,
042092005555,,Nguyễn Văn Cường,03/1992,Nam,42,42,Kinh,Không,VNM,,,18073,Tổ 3,HK002,Chủ hộ,,
042195008888,,Trần Thị Hoa,01/01/1995,Nữ,42,445,Kinh,Không,VNM,,,18565,Thôn Bắc,HK101,Chủ hộ,,
";
const AN: &str = "042090001234";
const CUONG: &str = "042092005555";
const HOA: &str = "042195008888";

struct Setup {
    app: App,
    objects: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let (app, dir) = support::app_on_sqlite().await;
    let objects = dir.path().join("objects");
    let key = cancuoc_vault::MasterKey::generate().unwrap();
    let vault = cancuoc_vault::ObjectVault::open_local(&objects, &key)
        .await
        .unwrap();
    let app = app.with_vault(Arc::new(vault));
    app.init("2021", Some("admin-password-123")).await.unwrap();
    let people = dir.path().join("people.csv");
    std::fs::write(&people, PEOPLE).unwrap();
    let request = cancuoc_app::ImportRequest {
        source: "people.csv".into(),
        file_hash: "hash".into(),
        file: cancuoc_import::FormReader::open(&people).unwrap(),
        dry_run: false,
        rejects_kept: 100,
        keep_rejected_forms: false,
    };
    let report = app
        .import_forms(&operator(), request, &|_| {})
        .await
        .unwrap();
    assert_eq!(report.accepted, 3, "{report:?}");
    Setup {
        app,
        objects,
        _dir: dir,
    }
}

fn operator() -> Caller {
    Caller::Operator {
        name: "test".into(),
    }
}

fn capture() -> Capture {
    let image = |role, w, h, pad| Image::parse(sample_jpeg(w, h, pad), role).unwrap();
    let rolled = FingerPosition::ALL
        .map(|f| FingerCapture::Rolled(image(ImageRole::Rolled(f), 800, 750, 2_000)));
    let flats = FlatPosition::ALL.map(|f| Some(image(ImageRole::Flat(f), 1600, 1000, 2_000)));
    Capture::new(image(ImageRole::Portrait, 480, 640, 3_000), rolled, flats).unwrap()
}

fn intake(personal_id: &str, kind: &str, unit: &str, key: Option<&str>) -> Intake {
    Intake {
        personal_id: personal_id.into(),
        kind: kind.into(),
        channel: "fixed".into(),
        intake_unit: Some(unit.into()),
        idempotency_key: key.map(str::to_owned),
        capture: Some(capture()),
        ..Intake::default()
    }
}

/// The sealed objects in the vault: every file but the key check.
fn objects(dir: &Path) -> usize {
    fn walk(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| {
                        let path = e.path();
                        if path.is_dir() { walk(&path) } else { 1 }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(dir) - usize::from(dir.join(cancuoc_vault::KEY_CHECK_OBJECT).exists())
}

#[tokio::test]
async fn refused_filings_leave_no_object_and_a_replay_writes_none() {
    let s = setup().await;
    let op = operator();

    // An unknown citizen (one out of an officer's scope is answered the same by the
    // store), a type that does not fit (first issuance for a CMND holder), a renewal
    // without its reason.
    let err = s
        .app
        .file_application(
            &op,
            &intake("042090000000", "first_issuance", "CAX-18073", None),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
    let err = s
        .app
        .file_application(&op, &intake(AN, "first_issuance", "CAX-18073", None))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::TypeNotAllowed(_)), "{err:?}");
    let err = s
        .app
        .file_application(&op, &intake(CUONG, "renewal", "CAX-18073", None))
        .await
        .unwrap_err();
    assert!(
        matches!(err, AppError::Invalid(_) | AppError::TypeNotAllowed(_)),
        "{err:?}"
    );
    assert_eq!(objects(&s.objects), 0);

    // One real filing: one object.
    let first = s
        .app
        .file_application(
            &op,
            &intake(AN, "cmnd_switch", "CAX-18073", Some("tablet-3:42")),
        )
        .await
        .unwrap();
    assert!(!first.replayed);
    assert_eq!(objects(&s.objects), 1);

    // Its replay answers with the first filing and writes nothing.
    let again = s
        .app
        .file_application(
            &op,
            &intake(AN, "cmnd_switch", "CAX-18073", Some("tablet-3:42")),
        )
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.application.key, first.application.key);
    assert_eq!(objects(&s.objects), 1);

    // A second application while the first is open is refused, and writes nothing.
    let err = s
        .app
        .file_application(&op, &intake(AN, "cmnd_switch", "CAX-18073", Some("other")))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
    assert_eq!(objects(&s.objects), 1);
}

/// Two intakes for one citizen in one batch both pass the checks made before sealing;
/// the store refuses the second inside its transaction, nothing is filed, and both
/// objects are taken away again.
#[tokio::test]
async fn a_failed_transaction_takes_its_objects_away() {
    let s = setup().await;
    let batch = [
        intake(CUONG, "first_issuance", "CAX-18073", None),
        intake(CUONG, "first_issuance", "CAX-18073", None),
    ];
    let err = s
        .app
        .file_applications(&operator(), &batch)
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Conflict(_)), "{err:?}");
    assert_eq!(objects(&s.objects), 0);

    // The citizen can still file: nothing of the failed batch stayed.
    s.app
        .file_application(&operator(), &batch[0])
        .await
        .unwrap();
    assert_eq!(objects(&s.objects), 1);
}

/// The same idempotency key used by two units: two filings, not a replay of the other
/// unit's (which would answer with an application the second unit may not see).
#[tokio::test]
async fn idempotency_keys_are_scoped_to_their_unit() {
    let s = setup().await;
    let op = operator();
    let here = s
        .app
        .file_application(
            &op,
            &intake(CUONG, "first_issuance", "CAX-18073", Some("k-1")),
        )
        .await
        .unwrap();
    let there = s
        .app
        .file_application(
            &op,
            &intake(HOA, "first_issuance", "CAX-18565", Some("k-1")),
        )
        .await
        .unwrap();
    assert!(!here.replayed && !there.replayed);
    assert_ne!(here.application.key, there.application.key);
    assert_eq!(objects(&s.objects), 2);
}

/// What `cancuoc vault gc` asks the register: the filed capture is referenced, an object
/// of an application that does not exist and one outside `applications/` are not.
#[tokio::test]
async fn vault_references_name_the_filed_captures_only() {
    let s = setup().await;
    let filed = s
        .app
        .file_application(
            &operator(),
            &intake(CUONG, "first_issuance", "CAX-18073", None),
        )
        .await
        .unwrap();
    let mine = format!("applications/{}/biometrics.ccbd", filed.application.key);
    let candidates = [
        mine.clone(),
        "applications/0196f1c2-0000-7000-8000-000000000009/biometrics.ccbd".to_owned(),
        "stray/file".to_owned(),
    ];
    let referenced = s
        .app
        .vault_references(&operator(), &candidates)
        .await
        .unwrap();
    assert_eq!(referenced.into_iter().collect::<Vec<_>>(), [mine]);
}
