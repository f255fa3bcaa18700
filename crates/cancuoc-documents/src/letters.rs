//! Invitation letters (giấy mời) for an enrollment session: one letter per household,
//! naming the members invited, each with a queue number and a time slot, so that people
//! come spread over the session instead of all at once when it opens.
//!
//! The letters of a session come as one PDF, each household on its own A4 page, set by
//! the same machinery as the intake papers ([`crate::pdf`]); and as CSV, one row per
//! invited member, for a mail merge in a word processor. Both depend on the session
//! alone: the PDF's creation date is the session's date, so the same letters always give
//! the same bytes.

use cancuoc_domain::schedule::{InvitationLetter, SessionLetters};
use krilla::metadata::Metadata;

use crate::DocumentError;
use crate::csv_export::CsvExport;
use crate::pdf::{
    A4, Align, Column, Fonts, PT_PER_MM, SIGN_AND_STAMP, Sheet, Style, TableRow,
    format_date_numeric, format_date_vi, weekday_vi,
};

/// The body text's size in points.
const SIZE: f32 = 11.5;

/// The session's letters as one PDF: each household's letter starts on a page of its own,
/// so the printed stack goes into envelopes as it comes. A household too large for
/// one page runs over and has its pages numbered, `Giấy mời hộ số … — trang i/n`.
///
/// # Errors
/// [`DocumentError::Empty`] if the session has no letter, or a letter names no one (a
/// letter inviting nobody is a mistake upstream, not a paper to post);
/// [`DocumentError::Font`] and [`DocumentError::Pdf`] as for the intake form.
pub fn invitation_letters_pdf(letters: &SessionLetters) -> Result<Vec<u8>, DocumentError> {
    let fonts = Fonts::load()?;
    let mut sheets = letters
        .letters
        .iter()
        .zip(1_u32..)
        .map(|(letter, n)| letter_sheet(&fonts, letters, letter, n));
    let mut document = sheets.next().ok_or_else(|| {
        DocumentError::Empty(format!(
            "the session at {} on {} has no invitation letter",
            letters.site_name,
            format_date_numeric(letters.date)
        ))
    })??;
    for sheet in sheets {
        document.append(sheet?);
    }
    let date = format_date_numeric(letters.date);
    document.finish(
        Metadata::new()
            .title(format!(
                "Giấy mời làm thủ tục cấp căn cước công dân — {}, {date}",
                letters.site_name
            ))
            .document_id(format!(
                "{}/{}/{}/giay-moi",
                letters.commune_name, letters.site_name, letters.date
            )),
        letters.date,
    )
}

/// One household's letter, laid out on pages of its own and numbered if it runs over one.
fn letter_sheet<'f>(
    fonts: &'f Fonts,
    session: &SessionLetters,
    letter: &InvitationLetter,
    number: u32,
) -> Result<Sheet<'f>, DocumentError> {
    if letter.members.is_empty() {
        return Err(DocumentError::Empty(format!(
            "the letter to household {} invites no one",
            letter.household
        )));
    }
    let mut sheet = Sheet::new(fonts, A4, 20.0 * PT_PER_MM);

    // The input carries no issue date: the date line is left for the unit to fill in
    // when it signs and stamps the letters.
    // Numbered within the session's letters, by the session's day.
    let reference = format!("{number}/GM-{}", session.date.strftime("%Y%m%d"));
    sheet.numbered_header(
        &session.unit_name,
        Some(&reference),
        "Ngày ...... tháng ...... năm ........",
        10.5,
    );
    sheet.skip(24.0);
    sheet.centered("GIẤY MỜI", Style::Bold, 16.0);
    sheet.centered(
        "Về việc làm thủ tục cấp căn cước công dân",
        Style::Bold,
        SIZE,
    );
    sheet.skip(14.0);

    let addressee = format!("Hộ gia đình số {}, {}", letter.household, letter.address);
    let label = "Kính gửi:";
    let label_width = fonts.width(label, Style::Regular, SIZE);
    sheet.field(label, &addressee, label_width, SIZE);
    sheet.skip(8.0);
    sheet.paragraph(
        &format!(
            "{} trân trọng mời các công dân có tên dưới đây đến làm thủ tục cấp căn cước \
             công dân tại {}, {} ({}) vào {} ({}, {}), theo giờ hẹn của từng người:",
            session.unit_name,
            session.site_name,
            session.site_address,
            session.commune_name,
            format_date_vi(session.date),
            weekday_vi(session.date),
            format_date_numeric(session.date),
        ),
        Style::Regular,
        SIZE,
    );
    sheet.skip(8.0);

    let (number_width, born_width, queue_width, slot_width) = (32.0, 80.0, 62.0, 90.0);
    let name_width = sheet.text_width() - number_width - born_width - queue_width - slot_width;
    let columns = [
        Column::new("STT", number_width, Align::Center),
        Column::new("Họ và tên", name_width, Align::Left),
        Column::new("Ngày sinh", born_width, Align::Center),
        Column::new("Số thứ tự", queue_width, Align::Center),
        Column::new("Giờ hẹn", slot_width, Align::Center),
    ];
    let rows: Vec<TableRow> = letter
        .members
        .iter()
        .zip(1_u32..)
        .map(|(member, n)| TableRow {
            cells: vec![
                n.to_string(),
                member.name.clone(),
                member.birth_date.clone(),
                member.queue_number.to_string(),
                member.slot.to_string(),
            ],
            style: Style::Regular,
        })
        .collect();
    sheet.table(&columns, &rows, 10.5);

    if !session.papers.is_empty() {
        sheet.skip(10.0);
        sheet.paragraph("Khi đến, mang theo:", Style::Bold, SIZE);
        for paper in &session.papers {
            sheet.item("-", paper, Style::Regular, SIZE);
        }
    }
    sheet.skip(10.0);
    sheet.paragraph(
        "Đề nghị công dân đến đúng giờ hẹn để không phải chờ đợi. Nếu không đến được vào \
         giờ hẹn, công dân có thể đổi lịch hẹn trực tuyến bằng số định danh cá nhân và \
         ngày sinh của mình.",
        Style::Regular,
        SIZE,
    );
    sheet.skip(6.0);
    sheet.paragraph("Trân trọng./.", Style::Regular, SIZE);
    sheet.skip(10.0);
    let head = format!("TRƯỞNG {}", session.unit_name.to_uppercase());
    sheet.signatures_noted(&[("", "", ""), (&head, SIGN_AND_STAMP, "")], SIZE, 50.0);

    sheet.number_pages(&format!("Giấy mời hộ số {}", letter.household));
    Ok(sheet)
}

/// The columns of [`invitation_letters_csv`], as mail-merge field names: ASCII, without
/// diacritics or spaces, which every word processor accepts.
pub const CSV_HEADER: [&str; 11] = [
    "so_ho",
    "dia_chi_ho",
    "ho_ten",
    "ngay_sinh",
    "so_thu_tu",
    "gio_hen",
    "ngay",
    "dia_diem",
    "dia_chi_dia_diem",
    "xa_phuong",
    "don_vi",
];

/// The session's letters as CSV for a mail merge, written by [`CsvExport`]: UTF-8 with a
/// byte order mark (for Excel), comma-separated, quoted where RFC 4180 needs it and with
/// its CRLF line ends, every cell that would run as a formula prefixed with `'` (site
/// names and addresses are typed by officers); a header row ([`CSV_HEADER`]), then one
/// row per invited member, in the letters' order. `gio_hen` is the slot
/// (`07:30–08:00`), `ngay` the session's date as `dd/mm/yyyy`.
///
/// A session without letters gives the header alone.
#[must_use]
pub fn invitation_letters_csv(letters: &SessionLetters) -> Vec<u8> {
    let written = CsvExport::new(Vec::new()).and_then(|mut writer| {
        write_csv(&mut writer, letters)?;
        writer.into_inner()
    });
    // Writing into a Vec cannot fail, and every record has the header's eleven fields,
    // so csv has no error to report here; it is checked in debug builds all the same.
    debug_assert!(written.is_ok(), "{written:?}");
    written.unwrap_or_default()
}

fn write_csv<W: std::io::Write>(
    writer: &mut CsvExport<W>,
    letters: &SessionLetters,
) -> csv::Result<()> {
    writer.write_record(CSV_HEADER)?;
    let date = format_date_numeric(letters.date);
    for letter in &letters.letters {
        for member in &letter.members {
            writer.write_record([
                letter.household.as_str(),
                &letter.address,
                &member.name,
                &member.birth_date,
                &member.queue_number.to_string(),
                &member.slot.to_string(),
                &date,
                &letters.site_name,
                &letters.site_address,
                &letters.commune_name,
                &letters.unit_name,
            ])?;
        }
    }
    Ok(())
}
