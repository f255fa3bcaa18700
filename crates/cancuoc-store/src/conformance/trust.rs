//! The register's trust boundary (DESIGN §8, "writes follow jurisdiction"): an import or
//! a review never changes a record outside the officer's jurisdiction, and findings name
//! nothing the importer may not read.

use super::*;

/// A district officer of Hà Tĩnh city imports a row for a citizen held in Thạch Hà, with
/// the city as the new residence. The row becomes a move-in request that shows nothing
/// of the held record; the city can verify it but not approve it, Thạch Hà keeps its
/// record, and the province (the common parent), by a second officer, approves the move.
pub async fn an_import_never_takes_over_a_record_held_elsewhere(store: Arc<dyn Store>) {
    seeded(&store).await;
    let held = person("042090000001", "Ngô Văn Phúc", "1990", &thach_ha());
    import_people(&store, vec![(held.clone(), thach_ha())]).await;

    let mut claimed = person("042090000001", "Ngô Văn Khác", "1990", &ha_tinh_city());
    claimed.household_number = Some("HK-CITY-1".into());
    let attacker = officer_of_unit("CAH-436", "attacker");
    let out = store
        .import_forms(
            &attacker,
            batch(vec![row(2, claimed.clone(), ha_tinh_city())]).stream(),
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!(out.inserted, 0);
    assert_eq!(out.staged, vec![(2, StageReason::MoveIn)]);

    // The record is untouched and still where it was: its own district still reads it.
    let rightful = scoped("CAH-445");
    let record = store
        .citizen(&rightful, &held.personal_id)
        .await
        .unwrap()
        .expect("the rightful district still sees its citizen");
    assert_eq!(record.data, held);
    assert_eq!(record.version, 1);
    assert!(
        store
            .citizen(&attacker, &held.personal_id)
            .await
            .unwrap()
            .is_none()
    );

    // The request shows the importer nothing of the held record.
    let forms = store
        .staged_forms(
            &attacker,
            &FormQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items;
    assert_eq!(forms.len(), 1);
    let form = &forms[0];
    assert_eq!(form.reason, StageReason::MoveIn);
    assert_eq!(form.findings, vec![MOVE_IN_FINDING.to_owned()]);
    assert_eq!(form.data, claimed);
    assert!(
        !form.approvable_here,
        "the city cannot approve a move out of Thạch Hà"
    );

    // The city verifies; neither it nor a colleague may approve; Thạch Hà does not see it.
    let district = Role::DistrictOfficer;
    store
        .decide_form(&attacker, district, form.id, &FormDecision::Verify)
        .await
        .unwrap();
    let approve = FormDecision::Approve {
        new_key: Uuid::now_v7(),
    };
    assert!(matches!(
        store
            .decide_form(&attacker, district, form.id, &approve)
            .await,
        Err(StoreError::Review(ReviewError::SameOfficer(_)))
    ));
    let colleague = officer_of_unit("CAH-436", "colleague");
    assert!(matches!(
        store
            .decide_form(&colleague, district, form.id, &approve)
            .await,
        Err(StoreError::Review(ReviewError::OutsideJurisdiction(_)))
    ));
    assert!(
        store
            .staged_form(&rightful, form.id)
            .await
            .unwrap()
            .is_none()
    );
    let record = store
        .citizen(&rightful, &held.personal_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.data, held);

    // The province covers both places: a second officer there approves the move.
    let province = officer_of_unit("PC06-42", "province-checker");
    let seen_above = store
        .staged_form(&province, form.id)
        .await
        .unwrap()
        .unwrap();
    assert!(seen_above.approvable_here);
    let approved = store
        .decide_form(&province, Role::ProvinceOfficer, form.id, &approve)
        .await
        .unwrap();
    assert_eq!(approved.status, FormStatus::Approved);
    assert!(
        store
            .citizen(&rightful, &held.personal_id)
            .await
            .unwrap()
            .is_none(),
        "the record moved out of Thạch Hà"
    );
    let moved = store
        .citizen(&attacker, &held.personal_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.data, claimed);
    assert_eq!(moved.version, 2);
    verify_whole_chain(&store).await;
}

/// A possible duplicate names the other record's number only to an importer who may read
/// that record.
pub async fn findings_name_only_records_the_importer_may_read(store: Arc<dyn Store>) {
    seeded(&store).await;
    let held = person("042185000001", "Lê Thị Hoa", "1985", &thach_ha());
    import_people(&store, vec![(held.clone(), thach_ha())]).await;

    // Same folded name, birth date and hometown, another number, living in the city.
    let lookalike = |pid: &str| {
        let mut d = person(pid, "Le Thi Hoa", "1985", &ha_tinh_city());
        d.full_name = "Lê Thị Hoa".into();
        d.hometown = held.hometown.clone();
        d
    };
    let city = officer_of_unit("CAH-436", "city");
    store
        .import_forms(
            &city,
            batch(vec![row(2, lookalike("042185000002"), ha_tinh_city())]).stream(),
            &|_| {},
        )
        .await
        .unwrap();
    let mut nation = batch(vec![row(3, lookalike("042185000003"), ha_tinh_city())]);
    nation.file_hash = "def".into();
    store
        .import_forms(&admin_access(T0), nation.stream(), &|_| {})
        .await
        .unwrap();

    let forms = store
        .staged_forms(
            &admin_access(T0),
            &FormQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items;
    let by_row = |n: usize| forms.iter().find(|f| f.row == n).unwrap();
    let hidden = by_row(2);
    assert_eq!(hidden.reason, StageReason::PossibleDuplicate);
    assert_eq!(hidden.findings, vec![HIDDEN_DUPLICATE_FINDING.to_owned()]);
    assert!(
        hidden
            .findings
            .iter()
            .all(|f| !f.contains(&held.personal_id.as_string()))
    );
    let named = by_row(3);
    assert_eq!(
        named.findings,
        vec![format!("possible duplicate of {}", held.personal_id)]
    );
}

/// A new record that looks like a citizen held elsewhere (same folded name, birth date and
/// hometown, another number) would give that citizen a second identity: the importing
/// district may verify or reject it, but only an officer whose jurisdiction also covers
/// the look-alike approves it.
pub async fn a_second_identity_is_approved_only_by_whoever_sees_the_first(store: Arc<dyn Store>) {
    seeded(&store).await;
    let held = person("042185000021", "Lê Thị Hoa", "1985", &thach_ha());
    import_people(&store, vec![(held.clone(), thach_ha())]).await;
    let mut second = person("042185000022", "Lê Thị Hoa", "1985", &ha_tinh_city());
    second.hometown = held.hometown.clone();
    let city = officer_of_unit("CAH-436", "city");
    store
        .import_forms(
            &city,
            batch(vec![row(2, second.clone(), ha_tinh_city())]).stream(),
            &|_| {},
        )
        .await
        .unwrap();
    let open = FormQuery {
        limit: 10,
        ..Default::default()
    };
    let forms = store.staged_forms(&city, &open).await.unwrap().items;
    let form = forms.first().expect("the look-alike is staged");
    assert_eq!(form.reason, StageReason::PossibleDuplicate);
    assert!(!form.approvable_here);
    let district = Role::DistrictOfficer;
    store
        .decide_form(&city, district, form.id, &FormDecision::Verify)
        .await
        .unwrap();
    let approve = FormDecision::Approve {
        new_key: Uuid::now_v7(),
    };
    let colleague = officer_of_unit("CAH-436", "colleague");
    assert!(matches!(
        store
            .decide_form(&colleague, district, form.id, &approve)
            .await,
        Err(StoreError::Review(ReviewError::OutsideJurisdiction(_)))
    ));
    assert!(
        store
            .citizen(&admin_access(T0), &second.personal_id)
            .await
            .unwrap()
            .is_none(),
        "no second identity was made"
    );
    let province = officer_of_unit("PC06-42", "province-checker");
    let above = store.staged_forms(&province, &open).await.unwrap().items;
    assert!(above.iter().all(|f| f.approvable_here));
    let approved = store
        .decide_form(&province, Role::ProvinceOfficer, form.id, &approve)
        .await
        .unwrap();
    assert_eq!(approved.status, FormStatus::Approved);
    assert!(
        store
            .citizen(&city, &second.personal_id)
            .await
            .unwrap()
            .is_some()
    );
    verify_whole_chain(&store).await;
}

/// A row whose residence lies outside the importer's jurisdiction is never applied, and
/// the import applies nothing at all.
pub async fn an_import_row_outside_the_importers_jurisdiction_is_refused(store: Arc<dyn Store>) {
    seeded(&store).await;
    let inside = person("042090000011", "Trần Văn Một", "1990", &ha_tinh_city());
    let outside = person("042090000012", "Trần Văn Hai", "1990", &thach_ha());
    let city = officer_of_unit("CAH-436", "city");
    let refused = store
        .import_forms(
            &city,
            batch(vec![
                row(2, inside.clone(), ha_tinh_city()),
                row(3, outside.clone(), thach_ha()),
            ])
            .stream(),
            &|_| {},
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
    for d in [&inside, &outside] {
        assert!(
            store
                .citizen(&admin_access(T0), &d.personal_id)
                .await
                .unwrap()
                .is_none()
        );
    }
}

/// Mobile stations: a request is kept pending, seen only in its district's jurisdiction,
/// approved with its communes and officers (again, to change them, keeping the first
/// approval's time), revoked once; a second request with the same key is refused, and each
/// step is audited. The server's keys for stations are made once: a second node's key is
/// not kept over the first. A packet uploads in order, chunk by chunk, and its answer is
/// kept once. A station's own database keeps its identity once.
/// A station's own database: packets wait in the outbox until answered, the first answer
/// is kept, and only a refused packet is resolved; making and resolving are audited.
pub async fn a_station_outbox_keeps_packets_until_answered_and_resolved(store: Arc<dyn Store>) {
    seeded(&store).await;
    let identity = StationIdentity {
        id: Uuid::now_v7(),
        server_url: "http://127.0.0.1:8080".into(),
        unit: "CAH-436".into(),
        name: "Tổ lưu động số 1".into(),
        signing_object: "station/signing.key".into(),
        agreement_object: "station/agreement.key".into(),
        server_extract_key: vec![1; 32],
        server_packet_key: vec![0x30, 2],
        enrolled_micros: T0,
        extract_object: None,
        extract_expires_micros: None,
        last_push_micros: None,
    };
    let err = store.station_pushed(T0 + 1).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    store.set_station_identity(&identity).await.unwrap();
    let before = store.audit_events(0, 100_000).await.unwrap().len();
    let officer = Access {
        actor: "lan.nt".into(),
        unit: "CAH-436".into(),
        scope: Jurisdiction::Within(code("436")),
        purpose: "station intake".into(),
        now_micros: T0 + 10,
    };
    let packet = |n: u8| OutboxPacket {
        packet: Uuid::from_bytes([n; 16]),
        made_micros: T0 + i64::from(n),
        officer: "lan.nt".into(),
        personal_id: format!("04209000000{n}"),
        sealed_object: format!("station/outbox/{n}.ccsp"),
        plain_object: format!("station/outbox/{n}.plain"),
        size_bytes: 1000 + u64::from(n),
        state: OutboxState::Waiting,
        answered_micros: None,
        // The number the station gave, kept whatever the server answers.
        receipt: (n == 2).then(|| "CAH-436-20210316-50000X".into()),
        code: None,
        message: None,
        resolved_by: None,
        resolved_micros: None,
    };
    // Added out of order, listed oldest first; an id is taken once.
    for n in [2, 1] {
        store.add_outbox_packet(&officer, &packet(n)).await.unwrap();
    }
    let err = store
        .add_outbox_packet(&officer, &packet(1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(store.outbox().await.unwrap(), vec![packet(1), packet(2)]);

    let filed = PacketOutcome::Filed {
        application: Uuid::now_v7(),
        receipt: "CAH-436-000001".into(),
    };
    let refused = PacketOutcome::Refused {
        code: "already_applied".into(),
        message: "filed at another station".into(),
    };
    let one = store
        .answer_outbox_packet(packet(1).packet, T0 + 100, &filed)
        .await
        .unwrap();
    assert_eq!(one.state, OutboxState::Filed);
    assert_eq!(one.receipt.as_deref(), Some("CAH-436-000001"));
    // A second answer keeps the first.
    let again = store
        .answer_outbox_packet(packet(1).packet, T0 + 200, &refused)
        .await
        .unwrap();
    assert_eq!(again, one);
    let two = store
        .answer_outbox_packet(packet(2).packet, T0 + 100, &refused)
        .await
        .unwrap();
    assert_eq!(
        (two.state, two.code.as_deref(), two.receipt),
        (
            OutboxState::Refused,
            Some("already_applied"),
            packet(2).receipt
        )
    );
    let err = store
        .resolve_outbox_packet(&officer, packet(1).packet)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let resolved = store
        .resolve_outbox_packet(&officer, packet(2).packet)
        .await
        .unwrap();
    assert_eq!(resolved.state, OutboxState::Resolved);
    assert_eq!(resolved.resolved_by.as_deref(), Some("lan.nt"));
    // A waiting packet is taken back whole; an answered one stays.
    store.add_outbox_packet(&officer, &packet(3)).await.unwrap();
    store
        .discard_outbox_packet(&officer, packet(3).packet)
        .await
        .unwrap();
    let err = store
        .discard_outbox_packet(&officer, packet(1).packet)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let err = store
        .discard_outbox_packet(&officer, packet(3).packet)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert_eq!(
        store
            .outbox()
            .await
            .unwrap()
            .iter()
            .map(|p| p.packet)
            .collect::<Vec<_>>(),
        vec![packet(1).packet, packet(2).packet]
    );
    let err = store
        .answer_outbox_packet(Uuid::now_v7(), T0, &filed)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");

    store.station_pushed(T0 + 300).await.unwrap();
    assert_eq!(
        store
            .station_identity()
            .await
            .unwrap()
            .unwrap()
            .last_push_micros,
        Some(T0 + 300)
    );
    let actions: Vec<String> = store.audit_events(0, 100_000).await.unwrap()[before..]
        .iter()
        .map(|e| e.draft.action.clone())
        .collect();
    assert_eq!(
        actions,
        vec![
            actions::STATION_PACKET_MAKE,
            actions::STATION_PACKET_MAKE,
            actions::STATION_PACKET_RESOLVE,
            actions::STATION_PACKET_MAKE,
            actions::STATION_PACKET_DISCARD,
        ]
    );
}

pub async fn stations_are_requested_approved_and_revoked(store: Arc<dyn Store>) {
    seeded(&store).await;
    let before = store.audit_events(0, 100_000).await.unwrap().len();
    let station = |id: Uuid, key: u8| StationRecord {
        id,
        name: "Tổ lưu động số 1".into(),
        unit: "CAH-436".into(),
        signing_key: vec![key; 32],
        agreement_key: vec![0x30, 0x59, key],
        status: StationStatus::Pending,
        communes: vec![],
        officers: vec![],
        requested_micros: T0,
        approved_by: None,
        approved_micros: None,
        revoked_by: None,
        revoked_micros: None,
        receipt_block: None,
    };
    let enrolment = Access {
        actor: "station-enrolment".into(),
        unit: "CAH-436".into(),
        scope: Jurisdiction::Within(code("436")),
        purpose: "station enrolment".into(),
        now_micros: T0,
    };
    let first = station(Uuid::now_v7(), 1);
    store.request_station(&enrolment, &first).await.unwrap();
    let err = store
        .request_station(&enrolment, &station(Uuid::now_v7(), 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let err = store
        .request_station(
            &enrolment,
            &StationRecord {
                unit: "CAT-42".into(),
                ..station(Uuid::now_v7(), 2)
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(store.station(first.id).await.unwrap(), Some(first.clone()));

    let district = officer_of_unit("CAH-436", "lan.nt");
    let province = officer_of_unit("CAT-42", "minh.lv");
    let elsewhere = officer_of_unit("CAH-445", "hoa.pt");
    assert_eq!(
        store.stations(&district).await.unwrap(),
        vec![first.clone()]
    );
    assert_eq!(store.stations(&province).await.unwrap().len(), 1);
    assert!(store.stations(&elsewhere).await.unwrap().is_empty());
    let err = store
        .approve_station(&elsewhere, first.id, &["18073".into()], &[])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");

    let communes = vec!["18073".to_owned(), "18076".to_owned()];
    let officers = vec!["lan.nt".to_owned()];
    let approved = store
        .approve_station(&district, first.id, &communes, &officers)
        .await
        .unwrap();
    assert_eq!(approved.status, StationStatus::Approved);
    assert_eq!(approved.communes, communes);
    assert_eq!(approved.officers, officers);
    assert_eq!(approved.approved_by.as_deref(), Some("lan.nt"));
    assert_eq!(approved.receipt_block, Some(1));
    let approved_at = approved.approved_micros.unwrap();
    assert!(approved.trusted_at(approved_at) && !approved.trusted_at(approved_at - 1));
    // Approved again by the province with fewer communes: the first approval's time stays.
    let later = Access {
        now_micros: approved_at + 1_000,
        ..province.clone()
    };
    let changed = store
        .approve_station(&later, first.id, &communes[..1], &officers)
        .await
        .unwrap();
    assert_eq!(changed.communes, communes[..1].to_vec());
    assert_eq!(changed.approved_micros, Some(approved_at));
    assert_eq!(changed.approved_by.as_deref(), Some("minh.lv"));
    assert_eq!(
        changed.receipt_block,
        Some(1),
        "a station keeps its receipt block"
    );

    let revoked_at = approved_at + 5_000;
    let revoked = store
        .revoke_station(
            &Access {
                now_micros: revoked_at,
                ..district.clone()
            },
            first.id,
        )
        .await
        .unwrap();
    assert_eq!(revoked.status, StationStatus::Revoked);
    assert_eq!(revoked.revoked_micros, Some(revoked_at));
    assert!(revoked.trusted_at(revoked_at - 1) && !revoked.trusted_at(revoked_at));
    for err in [
        store.revoke_station(&district, first.id).await.unwrap_err(),
        store
            .approve_station(&district, first.id, &communes, &officers)
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    }
    // A station approved while the revoked one may still push gets a block of its own;
    // one approved a month after the revocation takes the freed block.
    let at = |micros: i64| Access {
        now_micros: micros,
        ..district.clone()
    };
    let second = station(Uuid::now_v7(), 3);
    store.request_station(&enrolment, &second).await.unwrap();
    let second = store
        .approve_station(&at(revoked_at + 1_000), second.id, &communes, &officers)
        .await
        .unwrap();
    assert_eq!(second.receipt_block, Some(2));
    let third = station(Uuid::now_v7(), 4);
    store.request_station(&enrolment, &third).await.unwrap();
    let third = store
        .approve_station(
            &at(revoked_at + 31 * 86_400_000_000),
            third.id,
            &communes,
            &officers,
        )
        .await
        .unwrap();
    assert_eq!(third.receipt_block, Some(1));

    let key = |purpose, public: u8| StationServerKey {
        purpose,
        public_key: vec![public; 32],
        key_object: format!("stations/{}-{public}.key", purpose.as_str()),
        created_micros: T0,
    };
    assert_eq!(
        store
            .station_server_key(StationKeyPurpose::Extract)
            .await
            .unwrap(),
        None
    );
    let admin = admin_access(T0);
    let made = store
        .add_station_server_key(&admin, &key(StationKeyPurpose::Extract, 1))
        .await
        .unwrap();
    let second = store
        .add_station_server_key(&admin, &key(StationKeyPurpose::Extract, 2))
        .await
        .unwrap();
    assert_eq!(second, made);
    store
        .add_station_server_key(&admin, &key(StationKeyPurpose::Packet, 3))
        .await
        .unwrap();
    assert_eq!(
        store
            .station_server_key(StationKeyPurpose::Packet)
            .await
            .unwrap()
            .unwrap()
            .public_key,
        vec![3; 32]
    );

    // A packet's bytes arrive in chunks, in order; the answer, once kept, is the answer.
    let packet = Uuid::now_v7();
    assert_eq!(
        store.packet_upload(first.id, packet).await.unwrap(),
        (vec![], 0)
    );
    assert_eq!(
        store
            .append_packet_upload(first.id, packet, 0, 10, b"01234")
            .await
            .unwrap(),
        5
    );
    for (offset, total, bytes) in [(0, 10, &b"01"[..]), (7, 10, b"7"), (5, 11, b"5")] {
        let err = store
            .append_packet_upload(first.id, packet, offset, total, bytes)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict(m) if m.contains("holds 5 bytes")),
            "{err:?}"
        );
    }
    let err = store
        .append_packet_upload(first.id, packet, 5, 10, b"5678901")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    store
        .append_packet_upload(first.id, packet, 5, 10, b"56789")
        .await
        .unwrap();
    assert_eq!(
        store.packet_upload(first.id, packet).await.unwrap(),
        (b"0123456789".to_vec(), 10)
    );
    // At most 16 unfinished uploads a station (this one, held whole, is one of them); an
    // upload already begun still goes on.
    let begun: Vec<Uuid> = (0..15).map(|_| Uuid::now_v7()).collect();
    for p in &begun {
        store
            .append_packet_upload(first.id, *p, 0, 4, b"ab")
            .await
            .unwrap();
    }
    let err = store
        .append_packet_upload(first.id, Uuid::now_v7(), 0, 4, b"ab")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(m) if m.contains("half sent")),
        "{err:?}"
    );
    assert_eq!(
        store
            .append_packet_upload(first.id, begun[0], 2, 4, b"cd")
            .await
            .unwrap(),
        4
    );
    assert_eq!(store.packet_answer(packet).await.unwrap(), None);
    let answer = PacketAnswer {
        packet,
        station: first.id,
        made_micros: T0,
        received_micros: T0 + 1,
        outcome: PacketOutcome::Refused {
            code: "station_revoked".into(),
            message: "made after the revocation".into(),
        },
    };
    assert_eq!(store.keep_packet_answer(&answer).await.unwrap(), answer);
    let other = PacketAnswer {
        outcome: PacketOutcome::Filed {
            application: Uuid::now_v7(),
            receipt: "CAH-436-20210316-00001X".into(),
        },
        ..answer.clone()
    };
    assert_eq!(store.keep_packet_answer(&other).await.unwrap(), answer);
    assert_eq!(store.packet_answer(packet).await.unwrap(), Some(answer));
    assert_eq!(
        store.packet_upload(first.id, packet).await.unwrap(),
        (vec![], 0)
    );

    // A station's own database knows who it is, once.
    assert_eq!(store.station_identity().await.unwrap(), None);
    let identity = StationIdentity {
        id: first.id,
        server_url: "http://127.0.0.1:8080".into(),
        unit: "CAH-436".into(),
        name: "Tổ lưu động số 1".into(),
        signing_object: "station/signing.key".into(),
        agreement_object: "station/agreement.key".into(),
        server_extract_key: vec![1; 32],
        server_packet_key: vec![0x30, 2],
        enrolled_micros: T0,
        extract_object: None,
        extract_expires_micros: None,
        last_push_micros: None,
    };
    let err = store
        .station_extract_pulled("station/extract-1", T0 + 5)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    store.set_station_identity(&identity).await.unwrap();
    store
        .station_extract_pulled("station/extract-1", T0 + 5)
        .await
        .unwrap();
    let identity = StationIdentity {
        extract_object: Some("station/extract-1".into()),
        extract_expires_micros: Some(T0 + 5),
        ..identity
    };
    assert_eq!(
        store.station_identity().await.unwrap(),
        Some(identity.clone())
    );
    let err = store
        .set_station_identity(&StationIdentity {
            id: Uuid::now_v7(),
            ..identity
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    let events = store.audit_events(0, 100_000).await.unwrap();
    let actions: Vec<&str> = events[before..]
        .iter()
        .map(|e| e.draft.action.as_str())
        .filter(|a| a.starts_with("station."))
        .collect();
    assert_eq!(
        actions,
        vec![
            actions::STATION_REQUEST,
            actions::STATION_APPROVE,
            actions::STATION_APPROVE,
            actions::STATION_REVOKE,
            actions::STATION_REQUEST,
            actions::STATION_APPROVE,
            actions::STATION_REQUEST,
            actions::STATION_APPROVE,
            actions::STATION_SERVER_KEY_ADD,
            actions::STATION_SERVER_KEY_ADD,
        ]
    );

    // The station's own audit events join the chain, each as its officer did it and
    // when; sent again, they are skipped.
    assert_eq!(store.station_audit_sent().await.unwrap(), 0);
    store.set_station_audit_sent(2).await.unwrap();
    assert_eq!(store.station_audit_sent().await.unwrap(), 2);
    let at_station = |seq: i64, action: &str| cancuoc_domain::audit::AuditEvent {
        seq,
        at_micros: T0 - 1_000 + seq,
        draft: cancuoc_domain::audit::AuditDraft {
            actor: "lan.nt".into(),
            unit: "CAH-436".into(),
            action: action.into(),
            record_kind: "citizen".into(),
            record_key: "042090000001".into(),
            purpose: "look-up".into(),
            outcome: cancuoc_domain::audit::Outcome::Done,
        },
        prev_hash: String::new(),
        hash: String::new(),
    };
    let sent = [
        at_station(1, "citizen.read"),
        at_station(2, "application.create"),
    ];
    assert_eq!(
        store
            .append_station_audit(first.id, &sent, T0)
            .await
            .unwrap(),
        (2, 2)
    );
    let again = [
        at_station(2, "application.create"),
        at_station(3, "citizen.read"),
    ];
    assert_eq!(
        store
            .append_station_audit(first.id, &again, T0)
            .await
            .unwrap(),
        (1, 3)
    );
    let joined: Vec<_> = store
        .audit_events(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| {
            e.draft
                .purpose
                .starts_with(&format!("station {}", first.id))
        })
        .map(|e| (e.at_micros, e.draft.actor, e.draft.action))
        .collect();
    assert_eq!(
        joined,
        vec![
            (T0 - 999, "lan.nt".to_owned(), "citizen.read".to_owned()),
            (
                T0 - 998,
                "lan.nt".to_owned(),
                "application.create".to_owned()
            ),
            (T0 - 997, "lan.nt".to_owned(), "citizen.read".to_owned()),
        ]
    );
    // A jump in the station's numbers is refused: it would skip its real events for good.
    let err = store
        .append_station_audit(first.id, &[at_station(9, "citizen.read")], T0)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let err = store
        .append_station_audit(Uuid::now_v7(), &sent, T0)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
}
