//! The officers' web console (DESIGN §6): server-rendered pages (askama) over the same
//! use cases as the API, signed in by the session cookie, every form carrying the
//! session's CSRF token. Vietnamese by default; `?lang=en` switches to English and is
//! remembered in a cookie.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use cancuoc_app::{AppError, Caller, CitizenSearch};
use cancuoc_domain::citizen::{Relative, Residence};
use cancuoc_domain::{AdminCode, CitizenData, Officer, RecordStatus};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{clear_cookie_header, same_bytes, session_cookie, session_cookie_header};

mod admin;
mod application;
mod dashboard;
mod intake;
mod planning;
mod production;
mod queues;
mod register;
mod remote;
mod review;
mod schedule;
mod station_desk;
mod stations;

pub(crate) use admin::*;
pub(crate) use application::*;
pub(crate) use dashboard::*;
pub(crate) use intake::*;
pub(crate) use planning::*;
pub(crate) use production::*;
pub(crate) use queues::*;
pub(crate) use register::*;
pub(crate) use remote::*;
pub(crate) use review::*;
pub(crate) use schedule::*;
pub(crate) use station_desk::*;
pub(crate) use stations::*;

const LANG_COOKIE: &str = "cancuoc_lang";

/// No scripts from elsewhere, no framing, forms only to this site.
const CONSOLE_POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

/// Makes the console's word list into the enum [`W`]: one variant per word, its two
/// languages by `match`, and the list of all of them for the tests.
macro_rules! words {
    ($($key:ident => $vi:expr, $en:expr;)*) => {
        #[allow(non_camel_case_types, reason = "a word is named as it is written in templates")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum W {
            $($key,)*
        }

        impl W {
            pub(crate) const ALL: &'static [W] = &[$(W::$key,)*];

            pub(crate) fn vi(self) -> &'static str {
                match self {
                    $(W::$key => $vi,)*
                }
            }

            pub(crate) fn en(self) -> &'static str {
                match self {
                    $(W::$key => $en,)*
                }
            }

            /// The word named by a code the data carries (a state, a role, a kind).
            pub(crate) fn named(key: &str) -> Option<W> {
                match key {
                    $(stringify!($key) => Some(W::$key),)*
                    _ => None,
                }
            }
        }
    };
}

// The console's words, each a variant of `W` with its Vietnamese and its English: a word
// a page asks for and the table lacks does not compile, nor does a word written twice.
words! {
    app => "Căn cước công dân — Bảng điều khiển", "Citizen identity — Console";
    sign_in => "Đăng nhập", "Sign in";
    sign_out => "Đăng xuất", "Sign out";
    username => "Tên đăng nhập", "Username";
    password => "Mật khẩu", "Password";
    wrong_password => "Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password.";
    throttled => "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau.", "Too many failed sign-ins. Please try again later.";
    change_password => "Đổi mật khẩu", "Change password";
    must_change => "Bạn cần đổi mật khẩu trước khi làm việc.", "You must change your password before you go on.";
    current_password => "Mật khẩu hiện tại", "Current password";
    new_password => "Mật khẩu mới (ít nhất 12 ký tự)", "New password (at least 12 characters)";
    look_up => "Tra cứu công dân", "Look up a citizen";
    query => "Số định danh, số CMND hoặc họ tên", "Personal ID, old ID card number or name";
    search => "Tìm", "Search";
    no_results => "Không có kết quả trong địa bàn của bạn.", "Nothing found in your jurisdiction.";
    personal_id => "Số định danh cá nhân", "Personal ID";
    full_name => "Họ và tên", "Full name";
    birth_date => "Ngày sinh", "Date of birth";
    sex => "Giới tính", "Sex";
    residence => "Nơi ở hiện tại", "Residence";
    old_id => "Số CMND cũ", "Old ID card";
    other_names => "Tên gọi khác", "Other names";
    ethnicity => "Dân tộc", "Ethnicity";
    religion => "Tôn giáo", "Religion";
    nationality => "Quốc tịch", "Nationality";
    birth_registration => "Nơi đăng ký khai sinh", "Birth registered in";
    hometown => "Quê quán", "Hometown";
    permanent_residence => "Nơi thường trú", "Permanent residence";
    temporary_residence => "Nơi tạm trú", "Temporary residence";
    current_residence => "Nơi ở hiện tại", "Current residence";
    father => "Họ, chữ đệm và tên cha", "Father";
    mother => "Họ, chữ đệm và tên mẹ", "Mother";
    spouse => "Họ, chữ đệm và tên vợ (chồng)", "Spouse";
    legal_representative => "Người đại diện hợp pháp", "Legal representative";
    died_on => "Ngày chết", "Died on";
    register => "Dân cư", "Residents";
    register_list => "Danh sách dân cư", "Residents";
    all_residents => "Tất cả", "All";
    due_a_card => "Đủ 14 tuổi, chưa có thẻ hay hồ sơ", "14 and over, no card nor application";
    missing_fields => "Còn thiếu thông tin", "Missing fields";
    staged => "Có phiếu chờ duyệt", "With a form in review";
    missing => "Còn thiếu", "Missing";
    lives_at => "Nơi ở", "Lives at";
    in_all => "Tổng số", "In all";
    refused_not_found => "Không tìm thấy (hoặc ngoài địa bàn quản lý).", "Not found (or outside your jurisdiction).";
    refused_forbidden => "Vai trò của đồng chí không được làm việc này.", "Your role may not do this.";
    refused_conflict => "Hồ sơ vừa được người khác xử lý, hoặc công dân đã có hồ sơ đang mở: hãy tải lại trang.", "Someone else changed it meanwhile, or the citizen has an open application: reload the page.";
    refused_state => "Hồ sơ đang ở trạng thái không cho phép bước này.", "The application's state does not allow this step.";
    refused_role => "Bước này do vai trò khác thực hiện.", "Another role takes this step.";
    refused_reason => "Bước này cần ghi lý do.", "This step needs a reason.";
    refused_type => "Loại thủ tục không phù hợp với công dân (thẻ đang có, tuổi hoặc giấy tờ cũ).", "The application type does not fit the citizen (card held, age or old papers).";
    refused_too_long => "Nội dung nhập quá dài.", "A field is too long.";
    report_lost => "Báo mất thẻ", "Report the card lost";
    confirm_lost => "Tôi xác nhận công dân báo mất thẻ: thẻ hết giá trị sử dụng", "I confirm the citizen reports the card lost: it stops being valid";
    confirm_needed_lost => "Hãy đánh dấu ô xác nhận trước khi báo mất thẻ.", "Tick the confirmation before reporting the card lost.";
    card_reported_lost => "Đã ghi nhận mất thẻ; tiếp nhận hồ sơ cấp lại khi công dân đề nghị", "The card is recorded lost; file a re-issue when the citizen asks";
    planning => "Lập kế hoạch thu nhận", "Enrollment planning";
    plan_sessions => "Kế hoạch các buổi thu nhận", "Plan the sessions";
    plan_machines => "Số máy (để trống: các máy của đơn vị)", "Machines (empty: the unit's own)";
    plan_show_up => "Tỷ lệ người được mời đến (%)", "Share of the invited who come (%)";
    lunch_from => "Nghỉ trưa từ (để trống nếu làm xuyên trưa)", "Lunch break from (empty to work through)";
    lunch_to => "Nghỉ trưa đến", "Lunch break until";
    plan_walk_ins => "Dành cho người đến trực tiếp (%, để trống: theo thực tế 14 ngày qua)", "Kept for walk-ins (%, empty: as seen in the last 14 days)";
    plan_gather => "Mời người dân xã nhỏ lân cận đến điểm của tổ nếu đường đi không quá (phút; 0: mỗi xã một điểm; để trống: 15)", "Invite a small neighbouring commune's people to the team's site within (minutes by road; 0: each commune at its own site; empty: 15)";
    people_of => "người dân", "people of";
    // The planning form's boxes as a refusal names them (the app's field names).
    lunch => "Nghỉ trưa", "Lunch break";
    walk_in_share => "Dành cho người đến trực tiếp", "Kept for walk-ins";
    gather_within_min => "Mời người dân xã nhỏ lân cận", "Invite a small neighbouring commune";
    propose => "Xem đề xuất", "Propose";
    accept_plan => "Duyệt kế hoạch, gửi giấy mời", "Accept the plan and invite";
    planned_sessions => "Số buổi", "Sessions";
    invited_total => "Số người được mời", "People invited";
    unserved => "Còn chưa được mời", "Left without an invitation";
    last_day => "Buổi cuối cùng", "Last session";
    commune => "Xã, phường", "Commune";
    invited => "Được mời", "Invited";
    sites => "Điểm thu nhận", "Sites";
    no_sites => "Đơn vị chưa có điểm thu nhận.", "The unit has no site yet.";
    hold_session => "Mở một buổi thu nhận", "Hold a session";
    add_site => "Thêm điểm thu nhận", "Add a site";
    commune_code => "Mã xã, phường (5 chữ số)", "Commune code (5 digits)";
    address => "Địa chỉ", "Address";
    opens => "Giờ mở cửa", "Opens";
    closes => "Giờ đóng cửa", "Closes";
    no_machines => "Đơn vị chưa có máy thu nhận.", "The unit has no machine yet.";
    minutes_each => "phút mỗi hồ sơ", "minutes an application";
    machine_label => "Tên máy", "Machine label";
    machine_minutes => "Số phút mỗi hồ sơ (3–120)", "Minutes an application (3–120)";
    site_added => "Đã thêm điểm thu nhận", "Site added";
    machine_added => "Đã thêm máy", "Machine added";
    plan_accepted => "Đã duyệt kế hoạch", "Plan accepted";
    sessions_made => "buổi", "sessions";
    households_invited => "hộ được mời", "households invited";
    sites_made => "điểm mới", "new sites";
    new_campaign => "Tạo chiến dịch mới", "New campaign";
    campaign_name => "Tên chiến dịch", "Campaign name";
    create => "Tạo", "Create";
    set_quota => "Giao chỉ tiêu", "Set the quota";
    quota_total => "Chỉ tiêu cả đợt", "Target for the period";
    quota_daily => "Chỉ tiêu mỗi ngày", "Daily target";
    quota_split => "Chia cho các đơn vị trực thuộc", "Share among the units below";
    split_none => "Không chia", "Do not share";
    split_equal => "Chia đều", "Equally";
    split_eligible => "Theo số công dân đủ điều kiện", "By eligible population";
    quota_set => "Đã giao chỉ tiêu, số đơn vị", "Quotas set, units";
    quota_total_needed => "Hãy nhập chỉ tiêu cả đợt bằng số.", "Give the period's target as a number.";
    today_pct => "Tỷ lệ hôm nay", "Today";
    today_status => "Hôm nay", "Today";
    met => "Đạt", "Met";
    not_met => "Chưa đạt", "Not met";
    daily_report_pdf => "Báo cáo ngày (PDF)", "Daily report (PDF)";
    daily_report_xlsx => "Báo cáo ngày (Excel)", "Daily report (Excel)";
    chart_axis => "Lũy kế thu nhận theo ngày; đường đứt: chỉ tiêu", "Intake to date by day; dashed: the target";
    active_account => "Đang hoạt động", "Active";
    disabled_account => "Đã khóa", "Disabled";
    unit_from_list => "Đơn vị công an (gõ mã hoặc chọn trong danh sách)", "Police unit (type its code or choose from the list)";
    passwords_differ => "Hai lần nhập mật khẩu mới không giống nhau.", "The two new passwords differ.";
    confirm_password => "Nhập lại mật khẩu mới", "New password again";
    application => "Hồ sơ", "Application";
    forbidden => "Vai trò của bạn không được xem trang này.", "Your role may not see this page.";
    intake_unit => "Nơi tiếp nhận", "Taken at";
    intake_officer => "Cán bộ tiếp nhận", "Taken by";
    identifying_marks => "Đặc điểm nhận dạng", "Identifying marks";
    yes => "Có", "Yes";
    no => "Không", "No";
    remote_overlap => "Huyện này đã có trong danh sách trong khoảng thời gian đó, hoặc mục đã kết thúc.", "The district is already listed for those days, or the entry has ended.";
    remote_bad_dates => "Ngày cuối áp dụng phải từ ngày bắt đầu trở đi và không muộn hơn ngày kết thúc đã ghi.", "The last day must be on or after the start and no later than the end already set.";
    change_password_first => "Hãy đổi mật khẩu trước khi làm việc khác.", "Change the password before anything else.";
    invalid_field => "Giá trị không hợp lệ ở ô", "Not a valid value in the box";
    invalid_input => "Có giá trị đã nhập không hợp lệ; hãy xem lại các ô của biểu mẫu.", "A value typed is not valid; look at the form's boxes again.";
    biometrics_refused => "Ảnh chân dung, vân tay chưa nhận được", "The portrait or prints were refused";
    adjust_plan => "Có thể bỏ buổi, đổi ngày hoặc số máy của từng buổi trước khi duyệt; số người được mời giảm theo số máy.", "Drop a session, or change its day or its machines, before accepting; fewer machines invite fewer people.";
    keep_session => "Giữ buổi", "Keep";
    invite_households => "Mời các hộ gia đình vào các chỗ còn trống", "Invite households to the free places";
    invitations_made => "Đã lập giấy mời", "Invitations made";
    people => "người", "people";
    households => "hộ", "households";
    left_out => "người chưa có chỗ", "left without a place";
    remote_districts => "Huyện miền núi, biên giới, hải đảo", "Mountain, border and island districts";
    remote_explained => "Hồ sơ tiếp nhận trước ngày 01/7/2024 tại huyện có trong danh sách vào ngày tiếp nhận được hẹn trả trong 20 ngày làm việc (Luật Căn cước công dân 2014, Điều 25). Thay đổi áp dụng từ hồ sơ tiếp nhận tiếp theo.", "Applications taken before 1 July 2024 in a district listed on the intake day are due within 20 working days (2014 Law on Citizen Identification, Art. 25). A change applies from the next filing on.";
    province_code => "Mã tỉnh", "Province code";
    no_remote_districts => "Chưa có huyện nào trong danh sách.", "No district is listed.";
    district => "Huyện", "District";
    legal_basis => "Căn cứ pháp lý", "Legal basis";
    kept_by => "Người cập nhật", "Kept by";
    end_entry => "Kết thúc", "End";
    last_day_in_force => "Ngày cuối áp dụng", "Last day in force";
    add_remote_district => "Thêm huyện vào danh sách", "Add a district to the list";
    to_optional => "Đến ngày (để trống nếu chưa hết hiệu lực)", "To (empty while in force)";
    remote_added => "Đã thêm huyện vào danh sách", "District added to the list";
    stations => "Trạm lưu động", "Mobile stations";
    stations_explained => "Máy tính của tổ cấp CCCD lưu động làm việc không cần mạng. Trạm chỉ được tải dữ liệu và gửi hồ sơ sau khi được duyệt. Trước khi duyệt, đối chiếu mã khóa dưới đây với mã hiện trên màn hình của trạm.", "A mobile team's laptop works without a network. A station pulls data and pushes applications only once approved. Before approving, compare the key fingerprint below with the one on the station's screen.";
    no_stations => "Chưa có trạm nào trong địa bàn.", "No station in your area.";
    station_pending => "Chờ duyệt", "Waiting for approval";
    station_approved => "Đã duyệt", "Approved";
    station_revoked => "Đã thu hồi", "Revoked";
    station_fingerprint => "Mã khóa của trạm", "Station key fingerprint";
    station_requested => "Đề nghị lúc", "Asked at";
    station_decided => "Người duyệt/thu hồi", "Decided by";
    station_id => "Mã trạm", "Station id";
    station_communes => "Xã, phường, thị trấn trạm được phục vụ", "Communes the station serves";
    station_officers => "Cán bộ được đăng nhập trên trạm", "Officers who may sign in on the station";
    station_no_officers => "Không có cán bộ tiếp nhận nào của huyện này.", "No intake officer of this district.";
    station_fingerprint_matches => "Tôi đã đối chiếu: màn hình của trạm hiện đúng mã", "I have checked: the station's screen shows";
    station_check_fingerprint => "Hãy đối chiếu mã khóa với màn hình của trạm và đánh dấu xác nhận trước khi duyệt.", "Compare the key fingerprint with the station's screen and tick the confirmation before approving.";
    station_approve => "Duyệt trạm", "Approve the station";
    station_approved_done => "Đã duyệt trạm", "Station approved";
    station_revoke_explained => "Thu hồi: hồ sơ trạm lập từ lúc này sẽ bị từ chối", "Revoke: applications the station files from now on are refused";
    station_confirm_revoke => "Hãy đánh dấu xác nhận trước khi thu hồi trạm.", "Tick the confirmation before revoking the station.";
    station_revoke => "Thu hồi trạm", "Revoke the station";
    station_refuse_explained => "Từ chối: máy này không được làm trạm (trạm phải đề nghị lại với khóa mới)", "Refuse: this laptop does not become a station (it must ask again with a new key)";
    station_refuse => "Từ chối đề nghị", "Refuse the request";
    station_revoked_done => "Đã thu hồi trạm", "Station revoked";
    remote_ended => "Đã kết thúc áp dụng", "Entry ended";
    my_station => "Trạm của tôi", "This station";
    my_station_explained => "Máy tính này là trạm lưu động: dữ liệu dân cư là bản sao tải về từ máy chủ trung tâm, làm việc được khi không có mạng. Mỗi hồ sơ tiếp nhận tại đây được đóng gói và chờ gửi về máy chủ; khi có mạng, trạm tự gửi mỗi 30 giây (hoặc chạy lệnh cancuoc station push).", "This laptop is a mobile station: its residents are a copy pulled from the central server, and it works without a network. Each application filed here is packed and waits to go to the server; when there is a network the station sends them every 30 seconds (or run cancuoc station push).";
    station_name => "Tên trạm", "Station name";
    station_server => "Máy chủ trung tâm", "Central server";
    station_standing => "Tình trạng", "Standing";
    packets_waiting => "Gói hồ sơ chờ gửi", "Packets waiting";
    packets_refused => "Gói bị từ chối chưa xử lý", "Refused packets to resolve";
    last_push => "Lần gửi thành công gần nhất", "Last push";
    never_pushed => "Chưa gửi lần nào", "Never";
    extract_expires => "Dữ liệu tải về có giá trị đến", "Extract valid until";
    extract_expired => "đã hết hạn", "expired";
    no_extract => "Chưa tải dữ liệu về", "No extract pulled";
    intake_stopped => "Trạm đang ngừng tiếp nhận hồ sơ", "The station takes no applications now";
    outbox => "Các gói hồ sơ của trạm", "The station's packets";
    outbox_explained => "Gói bị từ chối là hồ sơ máy chủ không nhận: hồ sơ đó của công dân không được giải quyết. Báo cho công dân (nộp lại tại trụ sở nếu cần) hoặc hỏi cán bộ huyện, rồi đánh dấu xác nhận và bấm «Đã xử lý».", "A refused packet is an application the server did not take: the citizen's application is not being dealt with. Tell the citizen (to apply again at the office if need be) or ask the district, then tick the confirmation and press Mark resolved.";
    no_packets => "Chưa có gói hồ sơ nào.", "No packet yet.";
    older_packets_left_off => "Số gói đã nộp, đã xử lý cũ hơn không hiện ở đây", "Older filed and resolved packets not shown";
    made_at => "Lập lúc", "Made";
    size => "Dung lượng", "Size";
    packet_waiting => "Chờ gửi", "Waiting";
    packet_filed => "Đã nộp", "Filed";
    packet_refused => "Bị từ chối", "Refused";
    packet_resolved => "Đã xử lý", "Resolved";
    packet_resolve => "Đã xử lý", "Mark resolved";
    packet_confirm => "Xác nhận đã báo công dân hoặc cán bộ huyện", "I confirm the citizen or the district was told";
    packet_confirm_needed => "Hãy đánh dấu ô xác nhận trước khi bấm «Đã xử lý».", "Tick the confirmation before marking the packet resolved.";
    packet_resolved_done => "Đã đánh dấu xử lý gói hồ sơ của công dân", "Marked resolved: the packet of citizen";
    resolved_by => "Người xử lý", "Resolved by";
    pull_button => "Tải dữ liệu mới từ máy chủ", "Pull a new extract from the server";
    pull_explained => "Tải lại danh sách người dân, hồ sơ, thẻ, lịch và cán bộ của các xã từ máy chủ trung tâm (cần có mạng). Các gói chưa gửi được giữ nguyên.", "Fetches the communes' residents, applications, cards, sessions and officers from the central server again (a network is needed). Packets not yet sent are kept.";
    pull_done => "Đã tải dữ liệu mới từ máy chủ trung tâm.", "A new extract was loaded from the central server.";
    pull_failed => "Chưa tải được dữ liệu mới; trạm vẫn làm việc trên dữ liệu cũ", "No new extract was loaded; the station keeps working on the old one";
    pull_unavailable => "Trạm này chưa thể tải dữ liệu từ trang này: chạy lệnh `cancuoc station pull` rồi khởi động lại trạm.", "This station cannot pull from this page: run `cancuoc station pull` and restart the station.";
    server_receipt => "Số biên nhận trên máy chủ", "Receipt on the server";
    station_receipt => "Số biên nhận trạm đã cấp (máy chủ giữ nguyên số này)", "Receipt given at the station (the server keeps it)";
    station_receipt_void => "Số biên nhận trạm đã cấp, không còn giá trị:", "The receipt given at the station, now void:";
    winner_receipt => "Hồ sơ được giữ: số biên nhận", "The application kept: receipt";
    server_detail => "Chi tiết từ máy chủ", "The server's detail";
    station_banner => "Trạm lưu động: làm việc trên bản sao dữ liệu tại máy, hồ sơ gửi về máy chủ khi có mạng.", "Mobile station: working on a local copy; applications go to the server when there is a network.";
    station_banner_waiting => "gói chờ gửi", "packets waiting";
    station_banner_refused => "gói bị từ chối cần xử lý", "refused packets to resolve";
    station_banner_link => "Xem trạm", "See the station";
    station_banner_why => "Xem lý do và cách khắc phục", "See why and how to fix it";
    refusal_already_applied => "Công dân đã có hồ sơ đang giải quyết, nộp trước ở nơi khác", "The citizen already has an application, filed first elsewhere";
    refusal_outside_communes => "Công dân không cư trú tại xã, phường trạm được phục vụ", "The citizen lives outside the communes the station serves";
    refusal_officer_not_allowed => "Cán bộ lập hồ sơ không được dùng trạm này hoặc tài khoản đã bị khóa", "The officer who filed it may not use this station, or is disabled";
    refusal_unknown_citizen => "Máy chủ không tìm thấy công dân trong địa bàn của cán bộ", "The server finds no such citizen in the officer's area";
    refusal_station_revoked => "Gói được lập sau khi trạm bị thu hồi", "Made after the station was revoked";
    refusal_station_not_approved => "Gói được lập trước khi trạm được duyệt", "Made before the station was approved";
    refusal_unknown_station => "Máy chủ không biết trạm này", "The server does not know this station";
    refusal_bad_signature => "Chữ ký của gói không hợp lệ (gói bị sửa hoặc không do trạm ký)", "The packet's signature does not hold (altered, or not signed by the station)";
    refusal_malformed => "Gói hồ sơ không đúng định dạng", "The packet is malformed";
    refusal_does_not_decrypt => "Máy chủ không giải mã được gói", "The server cannot decrypt the packet";
    refusal_mismatch => "Thông tin của gói không khớp", "The packet's details do not match";
    refusal_not_filed => "Máy chủ không nhận hồ sơ", "The server did not file the application";
    refusal_bad_time => "Thời điểm lập gói sau giờ của máy chủ (đồng hồ máy trạm sai)", "The packet is dated after the server's clock (the laptop's clock is wrong)";
    confirm_disable => "Khóa ngay (đăng xuất khỏi mọi nơi)", "Disable now (signs out everywhere)";
    confirm_disable_needed => "Hãy đánh dấu xác nhận trước khi khóa tài khoản.", "Tick the confirmation before disabling the account.";
    old_card => "Thẻ/CMND cũ khi trả thẻ", "Old card at hand-over";
    old_card_taken_back => "Đã thu hồi thẻ/CMND cũ", "Old card taken back";
    old_card_not_taken_back => "Chưa thu hồi (mất, công dân không mang theo)", "Not taken back (lost, not brought)";
    working_days_left => "ngày làm việc còn lại", "working days left";
    late_by => "quá hạn", "late by";
    working_days => "ngày làm việc", "working days";
    correction_asked => "Lý do yêu cầu bổ sung", "Correction asked for";
    verifier_note => "Lưu ý cho người xác minh", "For the verifier";
    steps => "Xử lý hồ sơ", "Steps";
    reason_for_step => "Lý do (bắt buộc khi yêu cầu bổ sung, từ chối, hủy)", "Reason (needed to ask for correction, reject or cancel)";
    confirm_final => "Tôi xác nhận bước kết thúc hồ sơ (trả thẻ, từ chối, hủy) không thể hoàn tác", "I confirm that a step ending the application (hand-over, rejection, cancellation) cannot be undone";
    confirm_needed => "Bước này kết thúc hồ sơ: hãy đánh dấu ô xác nhận rồi làm lại.", "This step ends the application: tick the confirmation and try again.";
    step_taken => "Đã xử lý; trạng thái mới", "Done; now";
    biometrics => "Ảnh chân dung và vân tay", "Portrait and fingerprints";
    no_biometrics => "Hồ sơ chưa có ảnh và vân tay.", "No portrait or prints yet.";
    biometrics_hidden => "Vai trò của bạn không xem ảnh và vân tay.", "Your role does not see portraits and prints.";
    missing_fingers => "Ngón không lấy được vân tay", "Fingers without a print";
    documents => "Giấy tờ", "Documents";
    step_done => "Thao tác", "Step";
    reason_given => "Lý do", "Reason";
    intake_step => "Tiếp nhận", "Filed";
    open_application => "Công dân đang có hồ sơ chưa xong:", "This citizen has an open application:";
    valid_card => "Công dân đang có thẻ còn hiệu lực đến", "This citizen holds a card valid until";
    sending => "Đang gửi hồ sơ…", "Sending the application…";
    find_receipt => "Tìm theo số biên nhận", "Find by receipt number";
    retake_biometrics => "Chụp lại ảnh chân dung, lấy lại vân tay", "Take the portrait and prints again";
    save_biometrics => "Lưu ảnh và vân tay", "Save portrait and prints";
    biometrics_taken => "Đã lưu ảnh chân dung và vân tay", "The portrait and prints are saved";
    no_such_receipt => "Không có hồ sơ với số biên nhận", "No application with receipt";
    age_band => "Độ tuổi", "Age";
    any_age => "Mọi độ tuổi", "Any age";
    admin_unit_code => "Mã xã, huyện hoặc tỉnh (để trống: cả địa bàn)", "Commune, district or province code (empty: the whole area)";
    next_page => "Trang sau", "Next page";
    download_csv => "Tải CSV", "Download CSV";
    download_xlsx => "Tải Excel", "Download Excel";
    no_residents => "Không có ai trong danh sách.", "Nobody on the list.";
    household => "Hộ gia đình", "Household";
    relation => "Quan hệ với chủ hộ", "Relation to head";
    card => "Thẻ căn cước", "Identity card";
    no_card => "Chưa có thẻ.", "No card yet.";
    issued => "Ngày cấp", "Issued";
    expires => "Có giá trị đến", "Valid until";
    no_expiry => "Không thời hạn", "No expiry";
    status => "Trạng thái", "Status";
    record_status => "Trạng thái hồ sơ", "Record status";
    not_found => "Không tìm thấy công dân trong địa bàn của bạn.", "No such citizen in your jurisdiction.";
    bad_request => "Thông tin chưa hợp lệ", "Not valid";
    expired_form => "Biểu mẫu đã hết hạn. Vui lòng thử lại.", "The form has expired. Please try again.";
    failed => "Hệ thống đang bận. Vui lòng thử lại sau.", "The system is busy. Please try again later.";
    signed_in_as => "Cán bộ", "Officer";
    other_lang => "English", "Tiếng Việt";
    sessions => "Lịch làm thủ tục", "Sessions";
    from => "Từ ngày", "From";
    to => "Đến ngày", "To";
    show => "Xem", "Show";
    no_sessions => "Không có buổi làm thủ tục nào trong những ngày này.", "No session on these days.";
    time => "Giờ", "Time";
    site => "Địa điểm", "Place";
    machines => "Máy", "Machines";
    booked => "Đã hẹn", "Booked";
    open => "Đang mở", "Open";
    closed => "Đã kết thúc buổi", "Closed";
    slots => "Khung giờ", "Slots";
    capacity => "Năng lực", "Capacity";
    limit => "Nhận hẹn", "Takes";
    queue => "Hàng chờ", "Queue";
    being_served => "Đang làm thủ tục", "Being served";
    waiting => "Đang chờ", "Waiting";
    minutes => "phút", "min";
    not_arrived => "Đã hẹn, chưa đến", "Booked, not come";
    number => "Số", "No.";
    queue_number => "Số thứ tự", "Queue number";
    check_in => "Xác nhận đến", "Check in";
    walk_in => "Người đến không hẹn", "Walk-in";
    call_next => "Gọi người tiếp theo", "Call next";
    release => "Giải phóng chỗ người không đến", "Release no-shows";
    close => "Kết thúc buổi", "Close the session";
    checked_in => "Đã xác nhận đến", "Checked in";
    walked_in => "Đã xếp vào khung giờ", "Given a slot";
    called => "Mời vào", "Called";
    released => "Số chỗ đã giải phóng", "Places released";
    letters => "Giấy mời", "Invitation letters";
    figures => "Kết quả buổi", "Figures";
    served => "Đã thu nhận", "Served";
    no_shows => "Không đến", "No-shows";
    utilisation => "Công suất máy", "Machine utilisation";
    wait_p95 => "Thời gian chờ (p95, phút)", "Waiting (p95, min)";
    applications => "Hồ sơ", "Applications";
    overdue => "Quá hạn", "Overdue";
    receipt => "Số biên nhận", "Receipt";
    kind => "Loại", "Type";
    intake_date => "Ngày nhận", "Received on";
    due_date => "Hẹn trả", "Due";
    step => "Thao tác với hồ sơ đã chọn", "Step for the ticked applications";
    reason => "Lý do (khi từ chối, yêu cầu bổ sung)", "Reason (to reject or ask for correction)";
    apply => "Thực hiện", "Apply";
    select => "Chọn", "Select";
    no_applications => "Không có hồ sơ.", "No applications.";
    steps_done => "Đã xử lý", "Done";
    steps_failed => "Không xử lý được", "Not done";
    verify => "Kiểm tra xong", "Verify";
    approve => "Duyệt", "Approve";
    reject => "Từ chối", "Reject";
    request_correction => "Yêu cầu bổ sung", "Ask for correction";
    campaigns => "Chiến dịch", "Campaigns";
    no_campaigns => "Chưa có chiến dịch.", "No campaign yet.";
    period => "Thời gian", "Period";
    progress => "Tiến độ", "Progress";
    intake_to_date => "Đã thu nhận", "Received";
    target => "Chỉ tiêu", "Target";
    today_vs_daily => "Hôm nay / chỉ tiêu ngày", "Today / daily target";
    pace => "Bình quân 7 ngày (hồ sơ/ngày)", "7-day pace (a day)";
    projected => "Dự kiến hoàn thành", "Projected completion";
    daily_needed => "Cần mỗi ngày", "Needed a day";
    need_title => "Số máy cần để hoàn thành đúng hạn", "Machines needed to finish on time";
    need_by => "Hạn hoàn thành", "To finish by";
    no_one_left => "Không còn ai cần cấp", "No one left to serve";
    machines_now => "Máy hiện có", "Machines now";
    machines_needed => "Máy cần", "Machines needed";
    machine_hours_day => "Giờ máy mỗi ngày", "Machine-hours a day";
    finishes_with_machines => "Xong với máy hiện có", "Done with the machines now";
    finishes_at_pace => "Xong theo tốc độ hiện tại", "Done at the current pace";
    eligible_left => "Công dân đủ tuổi chưa có thẻ", "Eligible without a card";
    rank => "Xếp hạng", "Rank";
    units => "Đơn vị trực thuộc", "Units below";
    unit => "Đơn vị", "Unit";
    chart => "Thu nhận cộng dồn so với chỉ tiêu", "Intake to date against the target";
    map => "Bản đồ tiến độ", "Progress map";
    on_date => "Ngày", "Date";
    officers => "Cán bộ", "Officers";
    add_officer => "Thêm cán bộ", "Add an officer";
    role => "Vai trò", "Role";
    add => "Thêm", "Add";
    disable => "Khóa tài khoản", "Disable";
    enable => "Mở khóa", "Enable";
    one_time_password => "Mật khẩu dùng một lần của", "One-time password of";
    audit => "Nhật ký truy cập", "Audit trail";
    actor => "Người thực hiện", "Actor";
    action => "Thao tác", "Action";
    record => "Bản ghi", "Record";
    purpose => "Mục đích", "Purpose";
    at => "Thời điểm", "At";
    filter => "Lọc", "Filter";
    verify_chain => "Kiểm tra tính toàn vẹn", "Verify the chain";
    chain_holds => "Chuỗi nhật ký toàn vẹn, số sự kiện", "The chain holds; events";
    chain_broken => "Chuỗi nhật ký bị phá vỡ", "The chain is broken";
    review => "Hồ sơ dân cư chờ duyệt", "Records to review";
    no_forms => "Không có hồ sơ chờ duyệt.", "Nothing to review.";
    findings => "Thiếu hoặc chưa rõ thông tin", "Missing or doubtful fields";
    conflict => "Khác với dữ liệu chính thức", "Differs from the official record";
    possible_duplicate => "Có thể trùng", "Possible duplicate";
    verified_by => "Người xác minh", "Verified by";
    outcome => "Kết quả", "Outcome";
    outcome_done => "Đã thực hiện", "Done";
    outcome_refused => "Bị từ chối", "Refused";
    outcome_not_found => "Không tìm thấy", "Not found";
    wrong_current_password => "Mật khẩu hiện tại không đúng", "The current password is wrong";
    password_rules => "Mật khẩu mới cần ít nhất 12 ký tự, khác mật khẩu hiện tại, không chứa tên đăng nhập và không dễ đoán (không chỉ gồm chữ số, dãy liền nhau hay từ thông dụng như matkhau, password)", "The new password needs at least 12 characters, must differ from the current one, must not contain the username and must not be easy to guess (not only digits, a run, or a common word such as password)";
    why_staged => "Vì sao cần duyệt", "Why it needs review";
    awaiting_checker => "Đã xác minh: chờ một cán bộ khác phê duyệt", "Verified: waiting for another officer to approve";
    commune_officer => "Cán bộ Công an cấp xã", "Commune police officer";
    district_officer => "Cán bộ Công an cấp huyện", "District police officer";
    province_officer => "Cán bộ Công an cấp tỉnh", "Province police officer";
    ministry_officer => "Cán bộ Bộ Công an", "Ministry officer";
    production_operator => "Cán bộ Trung tâm sản xuất thẻ", "Card production operator";
    auditor => "Cán bộ kiểm tra nhật ký", "Auditor";
    admin => "Quản trị hệ thống", "Administrator";
    approved_above => "Đã xác minh: hồ sơ liên quan đến bản ghi ngoài địa bàn của đồng chí (nơi ở cũ hoặc người có thể trùng), cán bộ cấp trên quản lý cả hai nơi phê duyệt", "Verified: the form touches a record outside your jurisdiction (the old residence or a possible duplicate); an officer above whose jurisdiction covers both approves it";
    four_eyes_required => "Người xác minh hoặc sửa phiếu không được tự phê duyệt: cần một cán bộ khác phê duyệt", "The officer who verified or corrected a form may not approve it: another officer approves";
    outside_jurisdiction => "Ngoài địa bàn quản lý: hồ sơ này do cán bộ cấp trên quản lý cả hai nơi (nơi ở cũ và mới, hoặc nơi của người có thể trùng) phê duyệt", "Outside your jurisdiction: an officer whose jurisdiction covers both places (the old and the new residence, or where a possible duplicate lives) approves it";
    move_in => "Chuyển đến từ nơi khác (cấp trên chung phê duyệt)", "Moved in from elsewhere (approved by the common parent)";
    source => "Nguồn", "Source";
    approved => "Đã duyệt", "Approved";
    rejected => "Đã từ chối", "Rejected";
    intake => "Tiếp nhận hồ sơ", "Intake";
    find => "Tra cứu", "Find";
    procedure_type => "Loại thủ tục", "Type";
    first_issuance => "Cấp mới", "First issuance";
    cmnd_switch => "Chuyển từ CMND", "From the old ID card";
    renewal => "Cấp đổi", "Renewal";
    reissue => "Cấp lại", "Reissue";
    renewal_reason => "Lý do cấp đổi, cấp lại", "Reason for renewal or reissue";
    channel => "Hình thức", "Channel";
    fixed => "Tại trụ sở", "At the office";
    mobile => "Lưu động", "Mobile";
    station => "Điểm thu nhận", "Station";
    marks => "Đặc điểm nhân dạng", "Identifying marks";
    old_card_returned => "Đã thu lại CMND cũ", "Old ID card taken back";
    portrait => "Ảnh chân dung", "Portrait";
    webcam => "Chụp từ webcam", "Use the webcam";
    webcam_take => "Chụp ảnh", "Take the picture";
    fingerprints => "Vân tay (lăn)", "Fingerprints (rolled)";
    missing_reason => "hoặc lý do không thu được", "or why there is none";
    flats => "Vân tay chụp phẳng", "Flat prints";
    right_four => "Bốn ngón phải", "Right four";
    left_four => "Bốn ngón trái", "Left four";
    thumbs => "Hai ngón cái", "Thumbs";
    file => "Nộp hồ sơ", "File the application";
    filed => "Đã tiếp nhận hồ sơ", "Application filed";
    fee => "Lệ phí", "Fee";
    intake_form => "Phiếu thu nhận (PDF)", "Intake form (PDF)";
    appointment_slip => "Giấy hẹn trả kết quả (PDF)", "Appointment slip (PDF)";
    portrait_needed => "Cần ảnh chân dung", "A portrait is needed";
    none => "—", "—";
    history => "Lịch sử thay đổi", "History of the record";
    version => "Phiên bản", "Version";
    changed => "Thông tin thay đổi", "Changed fields";
    production => "Sản xuất thẻ", "Production";
    batch => "Mẻ sản xuất", "Batch";
    start_batch => "Mở mẻ hôm nay cho tỉnh", "Open today's batch for a province";
    province => "Mã tỉnh", "Province code";
    produce => "Sản xuất", "Produce";
    dispatch => "Chuyển trả", "Dispatch";
    card_proof => "Bản in thử thẻ", "Card proof";
    chip_heading => "Dữ liệu trong chip", "The chip's contents";
    chip_valid => "Xác thực thụ động: dữ liệu chip đúng như Bộ Công an đã ký", "Passive authentication: the chip holds what the ministry signed";
    chip_invalid => "Xác thực thụ động: dữ liệu chip KHÔNG hợp lệ", "Passive authentication: the chip's data is NOT valid";
    chip_none => "Thẻ chưa có dữ liệu chip.", "The card has no chip data yet.";
    chip_signed_by => "Chứng thư ký (DS)", "Document Signer";
    chip_signed_at => "Thời điểm ký", "Signed at";
    chip_serial => "số hiệu", "serial";
    chip_check => "Nội dung kiểm tra", "Check";
    chip_result => "Kết quả", "Result";
    chip_passed => "Đạt", "Passed";
    chip_not_passed => "Không đạt", "Failed";
    chip_mrz => "Vùng đọc máy (DG1)", "Machine-readable zone (DG1)";
    chip_fields => "Thông tin công dân (DG13)", "The citizen's fields (DG13)";
    check_security_object => "Đọc được đối tượng bảo mật (EF.SOD)", "The security object (EF.SOD) reads";
    check_signature => "Chữ ký của chứng thư ký hợp lệ", "The Document Signer's signature is valid";
    check_chain => "Chứng thư ký do CSCA Việt Nam cấp, còn hiệu lực", "The Document Signer is issued by Vietnam's CSCA and in force";
    check_usage_period => "Ký trong thời hạn sử dụng khóa của chứng thư ký", "Signed inside the Document Signer's key usage period";
    check_not_revoked => "Chứng thư ký chưa bị thu hồi", "The Document Signer is not revoked";
    check_hash => "Mã băm khớp với dữ liệu", "The hash matches the data";
    check_mrz => "Số kiểm tra của vùng đọc máy đúng", "The MRZ's check digits hold";
    front => "Mặt trước", "Front";
    back => "Mặt sau", "Back";
    units_page => "Đơn vị công an", "Police units";
    parent_unit => "Đơn vị cấp trên", "Unit above";
    draft => "Nháp", "Draft";
    verified => "Đã xác minh", "Verified";
    official => "Chính thức", "Official";
    pending => "Đang sản xuất", "Being made";
    active => "Đang sử dụng", "Active";
    replaced => "Đã thay thế", "Replaced";
    lost => "Báo mất", "Reported lost";
    revoked => "Đã thu hồi", "Revoked";
    expired => "Hết hạn", "Expired";
}

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ui {
    english: bool,
}

impl Ui {
    /// A count as the page's language writes it: 3.651 in Vietnamese, 3,651 in English.
    pub fn count(&self, n: u64) -> String {
        cancuoc_domain::campaign::group_thousands(n, if self.english { ',' } else { '.' })
    }

    /// A figure with one decimal: 1.537,1 in Vietnamese, 1,537.1 in English.
    pub fn decimal(&self, x: f64) -> String {
        if !x.is_finite() {
            return "—".to_owned();
        }
        let tenths = (x.abs() * 10.0).round();
        // Counts of people a day stay far below 2^53, where the conversion is exact.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "a rounded, non-negative figure far below 2^53"
        )]
        let tenths = tenths as u64;
        let sign = if x < 0.0 && tenths > 0 { "-" } else { "" };
        let mark = if self.english { '.' } else { ',' };
        format!("{sign}{}{mark}{}", self.count(tenths / 10), tenths % 10)
    }

    /// A percentage in tenths: 107,4% in Vietnamese, 107.4% in English; a dash when
    /// there is none.
    pub fn percent(&self, p: Option<cancuoc_domain::campaign::Tenths>) -> String {
        p.map_or_else(
            || "—".to_owned(),
            |t| if self.english { t.en() } else { t.vi() },
        )
    }

    /// A word in the page's language; templates hand it over as a reference in loops.
    pub fn t(&self, word: impl std::borrow::Borrow<W>) -> &'static str {
        let word = *word.borrow();
        if self.english { word.en() } else { word.vi() }
    }

    /// The word for a code the data carries (`in_production`, `commune_officer`); a code
    /// without one shows as a dash, never as itself (a unit test holds every code of the
    /// enumerations the console shows to a word).
    pub fn name_of(&self, code: &str) -> &'static str {
        W::named(code).map_or("—", |w| self.t(w))
    }

    /// On a station, what its banner says (set around each page by
    /// [`station_desk::station_context`]); none on a central server.
    pub fn station(&self) -> Option<StationBanner> {
        station_desk::current_banner()
    }

    pub fn lang(&self) -> &'static str {
        if self.english { "en" } else { "vi" }
    }

    pub fn other(&self) -> &'static str {
        if self.english { "vi" } else { "en" }
    }

    /// `?lang=` first, then the cookie, then Vietnamese.
    fn of(query: Option<&str>, headers: &HeaderMap) -> Self {
        let chosen = query.map(str::to_owned).or_else(|| {
            headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(name, _)| *name == LANG_COOKIE)
                .map(|(_, value)| value.to_owned())
        });
        Self {
            english: chosen.as_deref() == Some("en"),
        }
    }
}

/// A page's query: a message from the step that led here, and a language.
#[derive(Debug, Deserialize)]
pub(crate) struct MessageQuery {
    msg: Option<String>,
    lang: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LangQuery {
    lang: Option<String>,
}

/// The console's English phrases (several words, unlike their Vietnamese), for the browser
/// test that finds none of them on a page in Vietnamese.
pub fn english_phrases() -> Vec<&'static str> {
    W::ALL
        .iter()
        .filter(|w| w.en() != w.vi() && w.en().contains(' ') && w.en().len() >= 12)
        .map(|w| w.en())
        .collect()
}

/// A signed-in officer on a page, with the session's CSRF token for its forms.
pub(crate) struct Desk {
    officer: Officer,
    token: String,
    csrf: String,
    must_change_password: bool,
}

impl Desk {
    fn caller(&self) -> Caller {
        Caller::Officer(self.officer.clone())
    }
}

/// The officer behind the session cookie: without one, the way to the sign-in page; with
/// a password still to change, the way to the password page.
impl axum::extract::FromRequestParts<AppState> for Desk {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let AnyDesk(desk) = AnyDesk::from_request_parts(parts, state).await?;
        if desk.must_change_password {
            return Err(Redirect::to("/doi-mat-khau").into_response());
        }
        Ok(desk)
    }
}

/// A signed-in officer who may still have to change their password (the password page,
/// signing out).
pub(crate) struct AnyDesk(Desk);

impl axum::extract::FromRequestParts<AppState> for AnyDesk {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // A page is sent to sign in; an image or script of a page left open after signing
        // out is simply refused, so that it does not draw the sign-in form behind the
        // officer's back (and replace the form's token on screen).
        let subresource = parts
            .headers
            .get("sec-fetch-dest")
            .and_then(|d| d.to_str().ok())
            .is_some_and(|d| !matches!(d, "document" | "iframe" | "empty"));
        let to_login = || {
            if subresource {
                StatusCode::UNAUTHORIZED.into_response()
            } else {
                Redirect::to("/dang-nhap").into_response()
            }
        };
        let token = session_cookie(&parts.headers).ok_or_else(to_login)?;
        match state.app.authenticate(&token).await {
            Ok((officer, must_change_password, csrf)) => Ok(Self(Desk {
                officer,
                token,
                csrf,
                must_change_password,
            })),
            // The register out of reach is not a reason to sign in again.
            Err(e) if e.is_system_failure() => {
                Err(system_failure(Ui::of(None, &parts.headers), &e))
            }
            Err(_) => Err(to_login()),
        }
    }
}

fn csrf_holds(desk: &Desk, sent: &str) -> bool {
    same_bytes(sent.as_bytes(), desk.csrf.as_bytes())
}

/// A rendered page with the console's headers, remembering a language chosen by query.
fn page(template: &impl Template, status: StatusCode, ui: Ui, chosen: bool) -> Response {
    let html = match template.render() {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "a console page does not render");
            return (StatusCode::INTERNAL_SERVER_ERROR, ui.t(W::failed)).into_response();
        }
    };
    let mut response = (
        status,
        [(header::CONTENT_SECURITY_POLICY, CONSOLE_POLICY)],
        Html(html),
    )
        .into_response();
    if chosen
        && let Ok(cookie) = HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={}; Path=/; SameSite=Strict; Max-Age=31536000",
            ui.lang()
        ))
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    ui: Ui,
    error: Option<&'static str>,
    username: String,
    /// The form's token, also set as the `cancuoc_login` cookie.
    csrf: String,
}

#[derive(Template)]
#[template(path = "console/password.html")]
struct PasswordPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    error: Option<String>,
    must_change: bool,
}

#[derive(Template)]
#[template(path = "console/search.html")]
struct SearchPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    query: String,
    error: Option<String>,
    results: Option<Vec<FoundCitizen>>,
}

struct FoundCitizen {
    personal_id: String,
    name: String,
    birth_date: String,
    residence: String,
}

#[derive(Template)]
#[template(path = "console/citizen.html")]
struct CitizenPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    name: String,
    /// What the register holds, label and value, in the order of the collection form;
    /// fields the record leaves empty are left out.
    facts: Vec<(&'static str, String)>,
    household: Option<HouseholdView>,
    /// The citizen's applications, the latest due first.
    applications: Vec<CitizenApplication>,
    /// Every card, the latest first.
    cards: Vec<CardView>,
    /// The citizen holds an active card and the officer takes intake: it can be reported
    /// lost here (a re-issue follows at intake).
    may_report_lost: bool,
    personal_id: String,
    message: Option<String>,
    /// Each version of the record: when, by whom, from where, what changed, and where
    /// the citizen lived by it (the residence history).
    history: Vec<(i64, String, String, String, String, String)>,
}

struct CitizenApplication {
    key: String,
    receipt: String,
    kind: String,
    state: String,
    intake_date: String,
    due_date: String,
}

struct HouseholdView {
    number: String,
    address: String,
    members: Vec<(String, String, String)>,
}

struct CardView {
    issued: String,
    expires: Option<String>,
    status: String,
}

/// Percent-encoding for a query value.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A timestamp as a clock in Vietnam reads it (UTC+7), in `pattern` (strftime).
fn local_time(micros: i64, pattern: &str) -> String {
    jiff::Timestamp::from_microsecond(micros)
        .map(|t| {
            t.to_zoned_datetime(jiff::tz::Offset::constant(7).to_time_zone())
                .strftime(pattern)
                .to_string()
        })
        .unwrap_or_default()
}

#[derive(Debug, Deserialize)]
pub(crate) struct LostCardForm {
    csrf: String,
    #[serde(default)]
    confirm: Option<String>,
}

/// Records that the citizen's active card is lost (the citizen says so at the desk); the
/// re-issue is then filed at intake. Confirmed first: the card stops being valid.
pub(crate) async fn report_lost(
    State(state): State<AppState>,
    desk: Desk,
    Path(personal_id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<LostCardForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    if !csrf_holds(&desk, &form.csrf) {
        return (StatusCode::FORBIDDEN, ui.t(W::expired_form)).into_response();
    }
    let message = if form.confirm.as_deref() != Some("yes") {
        ui.t(W::confirm_needed_lost).to_owned()
    } else {
        match state
            .app
            .report_card_lost(&desk.caller(), &personal_id)
            .await
        {
            Ok(_) => ui.t(W::card_reported_lost).to_owned(),
            Err(e) => said(ui, &e),
        }
    };
    Redirect::to(&format!(
        "/cong-dan/{}?msg={}",
        url_encode(&personal_id),
        url_encode(&message)
    ))
    .into_response()
}

/// A field of a posted form read as `Vec<(name, value)>` (a form whose names repeat, like
/// ticked checkboxes), trimmed; empty when absent.
pub(crate) fn form_field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

/// The page for a failure on the system's side: "busy, try again later", answered with
/// the status the API gives the same failure (503 for an unreachable register, 500 else).
pub(crate) fn system_failure(ui: Ui, e: &AppError) -> Response {
    match e {
        AppError::Unavailable(detail) => tracing::warn!(error = %detail, "a console page"),
        AppError::Internal(detail) => tracing::error!(error = %detail, "a console page"),
        _ => tracing::warn!(error = %e, "a console page"),
    }
    let status = crate::error::status_of(e.code());
    let mut response = (status, ui.t(W::failed)).into_response();
    if let Some(seconds) = crate::error::retry_after(e) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// A refusal as the officer reads it. In Vietnamese, the refusals a page can meet are
/// said by their kind (the step is not possible in this state, another role takes it, a
/// reason is needed…); only a refusal of a typed value keeps the use case's own words,
/// which name the field.
pub(crate) fn said(ui: Ui, e: &AppError) -> String {
    use cancuoc_app::ErrorCode as C;
    if ui.english {
        return format!("{}: {e}", ui.t(W::bad_request));
    }
    let word = match e.code() {
        C::NotFound => W::refused_not_found,
        C::Forbidden | C::Unauthenticated => W::refused_forbidden,
        C::Conflict => W::refused_conflict,
        C::InvalidState | C::IllegalTransition => W::refused_state,
        C::RoleNotAllowed => W::refused_role,
        C::ReasonRequired => W::refused_reason,
        C::FourEyesRequired => W::four_eyes_required,
        C::OutsideJurisdiction => W::outside_jurisdiction,
        C::TypeNotAllowed => W::refused_type,
        C::TextTooLong => W::refused_too_long,
        C::TooManyAttempts => W::throttled,
        C::RenderTimeout | C::Unavailable | C::Internal => W::failed,
        C::PasswordChangeRequired => W::change_password_first,
        C::InvalidInput => {
            if ui.english {
                return format!("{}: {e}", ui.t(W::bad_request));
            }
            // The use case names the field first ("to: …"): the officer is pointed to
            // its box by the box's own label; the English detail stays with `?lang=en`.
            let text = e.to_string();
            return match text
                .split_once(':')
                .and_then(|(field, _)| W::named(field.trim()))
            {
                Some(word) => format!("{} «{}».", ui.t(W::invalid_field), ui.t(word)),
                None => ui.t(W::invalid_input).to_owned(),
            };
        }
    };
    ui.t(word).to_owned()
}

/// An address line with its commune, district and province.
fn residence_line(places: &cancuoc_app::Places, r: &Residence) -> String {
    format!("{}, {}", r.address, places.place_name(&r.commune))
}

/// The citizen page's facts, label and value, empty ones left out.
fn citizen_facts(
    ui: Ui,
    places: &cancuoc_app::Places,
    data: &CitizenData,
    status: RecordStatus,
) -> Vec<(&'static str, String)> {
    use cancuoc_domain::reference;
    let place = |code: &Option<AdminCode>| {
        code.as_ref()
            .map(|c| places.place_name(c))
            .unwrap_or_default()
    };
    let lived = |r: &Option<Residence>| {
        r.as_ref()
            .map(|r| residence_line(places, r))
            .unwrap_or_default()
    };
    let relative = |r: &Option<Relative>| {
        r.as_ref()
            .map(|r| match &r.id_number {
                Some(id) => format!("{} ({id})", r.full_name),
                None => r.full_name.clone(),
            })
            .unwrap_or_default()
    };
    let named = |code: &Option<String>, name: fn(&str) -> Option<&'static str>| {
        code.as_deref()
            .map(|c| name(c).map_or_else(|| c.to_owned(), str::to_owned))
            .unwrap_or_default()
    };
    let facts = [
        (W::personal_id, data.personal_id.as_string()),
        (
            W::old_id,
            data.old_id_number
                .as_ref()
                .map(|o| o.as_str().to_owned())
                .unwrap_or_default(),
        ),
        (W::other_names, data.other_names.clone().unwrap_or_default()),
        (W::birth_date, data.birth_date.vietnamese()),
        (
            W::sex,
            if ui.english {
                data.sex.as_str().to_owned()
            } else {
                data.sex.vietnamese().to_owned()
            },
        ),
        (
            W::ethnicity,
            named(&data.ethnicity, |c| reference::ethnicity(c).map(|e| e.name)),
        ),
        (
            W::religion,
            named(&data.religion, |c| reference::religion(c).map(|r| r.name)),
        ),
        (
            W::nationality,
            reference::nationality(&data.nationality).map_or_else(
                || data.nationality.clone(),
                |n| if ui.english { n.name_en } else { n.name }.to_owned(),
            ),
        ),
        (W::birth_registration, place(&data.birth_registration_place)),
        (W::hometown, place(&data.hometown)),
        (W::permanent_residence, lived(&data.permanent_residence)),
        (W::temporary_residence, lived(&data.temporary_residence)),
        (W::current_residence, lived(&data.current_residence)),
        (W::father, relative(&data.father)),
        (W::mother, relative(&data.mother)),
        (W::spouse, relative(&data.spouse)),
        (
            W::legal_representative,
            relative(&data.legal_representative),
        ),
        (
            W::died_on,
            data.died_on.map(|d| d.vietnamese()).unwrap_or_default(),
        ),
        (W::record_status, ui.name_of(status.as_str()).to_owned()),
    ];
    facts
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(label, value)| (ui.t(label), value))
        .collect()
}

fn day(date: jiff::civil::Date) -> String {
    format!("{:02}/{:02}/{}", date.day(), date.month(), date.year())
}

/// The script that takes the portrait from a webcam where the browser allows it.
pub(crate) async fn webcam_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/webcam.js"),
    )
}

/// The console's answer to an address it does not have: a short page in both languages
/// with the way back, not the API's JSON.
pub(crate) fn not_found_page() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_SECURITY_POLICY, CONSOLE_POLICY)],
        Html(
            "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Không có trang này · Page not found</title></head>\
             <body style=\"font-family: system-ui, sans-serif; margin: 2rem\"><main>\
             <h1>Không có trang này</h1><p>Địa chỉ không đúng hoặc trang đã đổi chỗ.</p>\
             <p><a href=\"/tra-cuu\">Về trang tra cứu</a> · <a href=\"/tra-cuu?lang=en\">\
             Page not found: back to the look-up</a></p></main></body></html>",
        ),
    )
}

pub(crate) async fn intake_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/intake.js"),
    )
}

/// Browsers ask for an icon; there is none.
pub(crate) async fn favicon() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// `/`: the look-up page for a signed-in officer, else sign-in.
pub(crate) async fn home() -> Redirect {
    Redirect::to("/tra-cuu")
}

pub(crate) async fn login_form(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    // The browser's token is kept while it has one: a page drawn again meanwhile (a
    // second tab, or the last page's images redirected here after signing out) must not
    // turn the form already on screen into an expired one.
    let kept = crate::auth::cookie(&headers, crate::auth::LOGIN_COOKIE)
        .filter(|t| (12..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()));
    let csrf = match kept.map_or_else(|| state.app.one_time_password(), Ok) {
        Ok(token) => token,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let mut response = page(
        &LoginPage {
            ui,
            error: None,
            username: String::new(),
            csrf: csrf.clone(),
        },
        StatusCode::OK,
        ui,
        q.lang.is_some(),
    );
    if let Ok(value) = HeaderValue::from_str(&crate::auth::login_cookie_header(
        &csrf,
        state.config.secure_cookies,
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

pub(crate) async fn login(
    State(state): State<AppState>,
    client: crate::extract::ClientAddress,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    // Login CSRF: another site's page must not sign this browser in as someone else.
    // Only a post of the form rendered for this browser carries its cookie's token.
    let expected = crate::auth::cookie(&headers, crate::auth::LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !crate::auth::same_bytes(expected.as_bytes(), form.csrf.as_bytes()) {
        return (StatusCode::FORBIDDEN, ui.t(W::expired_form)).into_response();
    }
    match state
        .app
        .login(form.username.trim(), &form.password, &client.0)
        .await
    {
        Ok(session) => {
            let next = if session.must_change_password {
                "/doi-mat-khau"
            } else {
                "/tra-cuu"
            };
            let secure = state.config.secure_cookies;
            let mut response = Redirect::to(next).into_response();
            for cookie in [
                session_cookie_header(&session.token, secure),
                crate::auth::login_cookie_clear_header(secure),
            ] {
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().append(header::SET_COOKIE, value);
                }
            }
            response
        }
        Err(e) => {
            // The form again with the reason, as a page (a 4xx document would read as a
            // broken page in the browser).
            let message = match e {
                AppError::TooManyAttempts { .. } => W::throttled,
                e if e.is_system_failure() => W::failed,
                _ => W::wrong_password,
            };
            page(
                &LoginPage {
                    ui,
                    error: Some(ui.t(message)),
                    username: form.username,
                    csrf: form.csrf,
                },
                StatusCode::OK,
                ui,
                false,
            )
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    AnyDesk(desk): AnyDesk,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !csrf_holds(&desk, &form.csrf) {
        return (
            StatusCode::FORBIDDEN,
            Ui::of(None, &headers).t(W::expired_form),
        )
            .into_response();
    }
    let _ = state.app.logout(&desk.token).await;
    let mut response = Redirect::to("/dang-nhap").into_response();
    if let Ok(value) = HeaderValue::from_str(&clear_cookie_header(state.config.secure_cookies)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub(crate) async fn password_form(
    AnyDesk(desk): AnyDesk,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    page(
        &PasswordPage {
            ui,
            must_change: desk.must_change_password,
            officer: desk.officer,
            csrf: desk.csrf,
            error: None,
        },
        StatusCode::OK,
        ui,
        q.lang.is_some(),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    /// The new password typed a second time.
    #[serde(default)]
    confirm: Option<String>,
}

pub(crate) async fn change_password(
    State(state): State<AppState>,
    AnyDesk(desk): AnyDesk,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    if !csrf_holds(&desk, &form.csrf) {
        return (StatusCode::FORBIDDEN, ui.t(W::expired_form)).into_response();
    }
    // Typed twice, so that a slip of the finger does not lock the officer out.
    let changed = if form.confirm.as_deref().is_some_and(|c| c != form.new) {
        Err(AppError::Invalid("the two new passwords differ".into()))
    } else {
        state
            .app
            .change_password(&desk.officer, &form.current, &form.new, &desk.token)
            .await
    };
    let mismatch = form.confirm.as_deref().is_some_and(|c| c != form.new);
    match changed {
        Ok(()) => Redirect::to("/tra-cuu").into_response(),
        Err(e) => {
            let status = match e {
                AppError::BadCredentials => StatusCode::UNAUTHORIZED,
                ref e if e.is_system_failure() => crate::error::status_of(e.code()),
                _ => StatusCode::BAD_REQUEST,
            };
            page(
                &PasswordPage {
                    ui,
                    must_change: desk.must_change_password,
                    officer: desk.officer,
                    csrf: desk.csrf,
                    // Said in the officer's language: which rule the new password broke.
                    error: Some(match e {
                        AppError::BadCredentials => ui.t(W::wrong_current_password).to_owned(),
                        AppError::TooManyAttempts { .. } => ui.t(W::throttled).to_owned(),
                        AppError::Invalid(_) if mismatch => ui.t(W::passwords_differ).to_owned(),
                        AppError::Invalid(_) => ui.t(W::password_rules).to_owned(),
                        other if other.is_system_failure() => ui.t(W::failed).to_owned(),
                        other => format!("{}: {other}", ui.t(W::bad_request)),
                    }),
                },
                status,
                ui,
                false,
            )
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct SearchQuery {
    q: Option<String>,
    lang: Option<String>,
}

/// What the officer typed: 12 digits is a personal ID (straight to the citizen), 9 an
/// old ID card number, anything else a name (diacritics optional).
pub(crate) async fn search(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<SearchQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let query = q.q.unwrap_or_default().trim().to_owned();
    let digits = !query.is_empty() && query.bytes().all(|b| b.is_ascii_digit());
    if digits && query.len() == 12 {
        // A language chosen with the search goes along to the citizen's page.
        let lang = q
            .lang
            .as_deref()
            .map_or_else(String::new, |l| format!("?lang={}", url_encode(l)));
        return Redirect::to(&format!("/cong-dan/{query}{lang}")).into_response();
    }
    let (mut error, mut results) = (None, None);
    if !query.is_empty() {
        let places = state.app.places();
        let search = CitizenSearch {
            name: (!digits).then(|| query.clone()),
            old_id_number: digits.then(|| query.clone()),
            limit: Some(50),
            ..CitizenSearch::default()
        };
        match state.app.search_citizens(&desk.caller(), &search).await {
            Ok(found) => {
                results = Some(
                    found
                        .items
                        .into_iter()
                        .map(|c| FoundCitizen {
                            personal_id: c.data.personal_id.as_string(),
                            birth_date: c.data.birth_date.vietnamese(),
                            residence: c
                                .data
                                .current_residence
                                .as_ref()
                                .or(c.data.permanent_residence.as_ref())
                                .or(c.data.temporary_residence.as_ref())
                                .map(|r| residence_line(&places, r))
                                .unwrap_or_default(),
                            name: c.data.full_name,
                        })
                        .collect(),
                );
            }
            Err(e) => error = Some(said(ui, &e)),
        }
    }
    page(
        &SearchPage {
            ui,
            officer: desk.officer,
            csrf: desk.csrf,
            query,
            error,
            results,
        },
        StatusCode::OK,
        ui,
        q.lang.is_some(),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct CitizenQuery {
    msg: Option<String>,
    lang: Option<String>,
}

pub(crate) async fn citizen(
    State(state): State<AppState>,
    desk: Desk,
    Path(personal_id): Path<String>,
    Query(q): Query<CitizenQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let caller = desk.caller();
    let record = match state.app.citizen(&caller, &personal_id).await {
        Ok(r) => r,
        Err(e) if e.is_system_failure() => return system_failure(ui, &e),
        Err(_) => {
            let not_found = SearchPage {
                ui,
                officer: desk.officer,
                csrf: desk.csrf,
                query: personal_id,
                error: Some(ui.t(W::not_found).to_owned()),
                results: None,
            };
            return page(&not_found, StatusCode::NOT_FOUND, ui, false);
        }
    };
    let data = &record.data;
    let household = match &data.household_number {
        Some(number) => state
            .app
            .household(&caller, number)
            .await
            .ok()
            .map(|h| HouseholdView {
                number: h.number,
                address: h.address,
                members: h
                    .members
                    .into_iter()
                    .map(|m| {
                        (
                            m.personal_id.as_string(),
                            m.full_name,
                            m.relation_to_head.unwrap_or_default(),
                        )
                    })
                    .collect(),
            }),
        None => None,
    };
    // Officers whose role reads no cards see the section empty.
    let held = state
        .app
        .card_history(&caller, &personal_id)
        .await
        .unwrap_or_default();
    let may_report_lost = desk.officer.role.takes_intake()
        && held
            .iter()
            .any(|c| c.status == cancuoc_store::CardStatus::Active);
    let cards = held
        .into_iter()
        .map(|c| CardView {
            issued: day(c.issue_date),
            expires: c.expiry_date.map(day),
            status: ui.name_of(c.status.as_str()).to_owned(),
        })
        .collect();
    let places = state.app.places();
    let history = state
        .app
        .citizen_history(&caller, &personal_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|h| {
            let at = local_time(h.at_micros, "%d/%m/%Y %H:%M");
            (
                h.version,
                at,
                h.actor,
                h.source,
                h.changed_fields.join(", "),
                h.residence
                    .map_or_else(String::new, |r| residence_line(&places, &r)),
            )
        })
        .collect();
    let applications = state
        .app
        .applications(
            &caller,
            &cancuoc_store::ApplicationQuery {
                personal_id: Some(data.personal_id),
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .map(|page| page.items)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|a| CitizenApplication {
            key: a.key.to_string(),
            receipt: a.receipt.to_string(),
            kind: if ui.english {
                a.kind.to_string()
            } else {
                a.kind.vietnamese().to_owned()
            },
            state: if ui.english {
                a.state.as_str().replace('_', " ")
            } else {
                a.state.vietnamese().to_owned()
            },
            intake_date: day(a.intake_date),
            due_date: day(a.due_date),
        })
        .collect();
    let view = CitizenPage {
        ui,
        csrf: desk.csrf,
        name: data.full_name.clone(),
        personal_id: data.personal_id.as_string(),
        may_report_lost,
        message: q.msg.filter(|m| !m.is_empty()),
        facts: citizen_facts(ui, &places, data, record.status),
        household,
        applications,
        cards,
        history,
        officer: desk.officer,
    };
    page(&view, StatusCode::OK, ui, q.lang.is_some())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "a failed test panics")]

    use super::*;

    #[test]
    fn counts_are_written_in_the_page_s_language() {
        let vi = Ui { english: false };
        let en = Ui { english: true };
        assert_eq!(vi.count(0), "0");
        assert_eq!(vi.count(999), "999");
        assert_eq!(vi.count(3_651), "3.651");
        assert_eq!(vi.count(1_234_567), "1.234.567");
        assert_eq!(en.count(1_234_567), "1,234,567");
        assert_eq!(vi.decimal(1537.06), "1.537,1");
        assert_eq!(en.decimal(1537.06), "1,537.1");
        assert_eq!(vi.decimal(0.04), "0,0");
        assert_eq!(vi.decimal(-2.5), "-2,5");
        assert_eq!(vi.decimal(f64::NAN), "—");
    }

    /// Every word a page asks for by name is in the table: `Ui::t` of a missing key
    /// would put an empty string on the page.
    #[test]
    fn every_word_has_both_languages_and_every_code_a_page_names_has_its_word() {
        for word in W::ALL {
            assert!(!word.vi().is_empty() && !word.en().is_empty(), "{word:?}");
        }
        // Codes the data carries that pages show by their word (`ui.name_of`): a role, a
        // kind, a status, a filter (an application's state is named by the domain). A code
        // without a word would show as a dash.
        let mut codes: Vec<String> = Vec::new();
        codes.extend(register::FILTERS.iter().map(|c| (*c).to_owned()));
        codes.extend(register::FIELD_WORDS.iter().map(|c| (*c).to_owned()));
        codes.extend(
            cancuoc_domain::Role::ALL
                .iter()
                .map(|r| r.as_str().to_owned()),
        );
        codes.extend(
            cancuoc_store::CardStatus::ALL
                .iter()
                .map(|s| s.as_str().to_owned()),
        );
        codes.extend(
            cancuoc_domain::review::FormStatus::ALL
                .iter()
                .map(|s| s.as_str().to_owned()),
        );
        codes.extend(["fixed", "mobile", "open", "closed", "disable", "enable"].map(str::to_owned));
        codes.extend(
            [
                cancuoc_store::StageReason::Findings,
                cancuoc_store::StageReason::Conflict,
                cancuoc_store::StageReason::PossibleDuplicate,
                cancuoc_store::StageReason::MoveIn,
            ]
            .iter()
            .map(|r| r.as_str().to_owned()),
        );
        codes.extend(["done", "refused", "not_found"].map(|o| format!("outcome_{o}")));
        // A station's packets: their states and the server's refusals.
        codes.extend(
            [
                cancuoc_store::OutboxState::Waiting,
                cancuoc_store::OutboxState::Filed,
                cancuoc_store::OutboxState::Refused,
                cancuoc_store::OutboxState::Resolved,
            ]
            .iter()
            .map(|s| format!("packet_{}", s.as_str())),
        );
        codes.extend(
            cancuoc_app::station_packet::REFUSAL_CODES
                .iter()
                .map(|c| format!("refusal_{c}")),
        );
        codes.extend(
            [
                RecordStatus::Draft,
                RecordStatus::Verified,
                RecordStatus::Official,
            ]
            .iter()
            .map(|s| s.as_str().to_owned()),
        );
        let missing: Vec<&String> = codes.iter().filter(|c| W::named(c).is_none()).collect();
        assert!(missing.is_empty(), "{missing:?}");
    }
}
