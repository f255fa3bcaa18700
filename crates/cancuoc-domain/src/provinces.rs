//! The 63 provinces of the pre-2025 GSO list, whose codes make digits 2–3 of every
//! personal ID number (Circular 07/2016/TT-BCA Appendix 1). These codes did not change
//! when provinces merged in 2025, so this table is fixed law, not reference data.

/// One province of birth registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Province {
    /// 2-digit GSO code.
    pub code: &'static str,
    pub name: &'static str,
}

pub const PROVINCES: [Province; 63] = [
    Province {
        code: "01",
        name: "Hà Nội",
    },
    Province {
        code: "02",
        name: "Hà Giang",
    },
    Province {
        code: "04",
        name: "Cao Bằng",
    },
    Province {
        code: "06",
        name: "Bắc Kạn",
    },
    Province {
        code: "08",
        name: "Tuyên Quang",
    },
    Province {
        code: "10",
        name: "Lào Cai",
    },
    Province {
        code: "11",
        name: "Điện Biên",
    },
    Province {
        code: "12",
        name: "Lai Châu",
    },
    Province {
        code: "14",
        name: "Sơn La",
    },
    Province {
        code: "15",
        name: "Yên Bái",
    },
    Province {
        code: "17",
        name: "Hoà Bình",
    },
    Province {
        code: "19",
        name: "Thái Nguyên",
    },
    Province {
        code: "20",
        name: "Lạng Sơn",
    },
    Province {
        code: "22",
        name: "Quảng Ninh",
    },
    Province {
        code: "24",
        name: "Bắc Giang",
    },
    Province {
        code: "25",
        name: "Phú Thọ",
    },
    Province {
        code: "26",
        name: "Vĩnh Phúc",
    },
    Province {
        code: "27",
        name: "Bắc Ninh",
    },
    Province {
        code: "30",
        name: "Hải Dương",
    },
    Province {
        code: "31",
        name: "Hải Phòng",
    },
    Province {
        code: "33",
        name: "Hưng Yên",
    },
    Province {
        code: "34",
        name: "Thái Bình",
    },
    Province {
        code: "35",
        name: "Hà Nam",
    },
    Province {
        code: "36",
        name: "Nam Định",
    },
    Province {
        code: "37",
        name: "Ninh Bình",
    },
    Province {
        code: "38",
        name: "Thanh Hóa",
    },
    Province {
        code: "40",
        name: "Nghệ An",
    },
    Province {
        code: "42",
        name: "Hà Tĩnh",
    },
    Province {
        code: "44",
        name: "Quảng Bình",
    },
    Province {
        code: "45",
        name: "Quảng Trị",
    },
    Province {
        code: "46",
        name: "Thừa Thiên Huế",
    },
    Province {
        code: "48",
        name: "Đà Nẵng",
    },
    Province {
        code: "49",
        name: "Quảng Nam",
    },
    Province {
        code: "51",
        name: "Quảng Ngãi",
    },
    Province {
        code: "52",
        name: "Bình Định",
    },
    Province {
        code: "54",
        name: "Phú Yên",
    },
    Province {
        code: "56",
        name: "Khánh Hòa",
    },
    Province {
        code: "58",
        name: "Ninh Thuận",
    },
    Province {
        code: "60",
        name: "Bình Thuận",
    },
    Province {
        code: "62",
        name: "Kon Tum",
    },
    Province {
        code: "64",
        name: "Gia Lai",
    },
    Province {
        code: "66",
        name: "Đắk Lắk",
    },
    Province {
        code: "67",
        name: "Đắk Nông",
    },
    Province {
        code: "68",
        name: "Lâm Đồng",
    },
    Province {
        code: "70",
        name: "Bình Phước",
    },
    Province {
        code: "72",
        name: "Tây Ninh",
    },
    Province {
        code: "74",
        name: "Bình Dương",
    },
    Province {
        code: "75",
        name: "Đồng Nai",
    },
    Province {
        code: "77",
        name: "Bà Rịa - Vũng Tàu",
    },
    Province {
        code: "79",
        name: "Hồ Chí Minh",
    },
    Province {
        code: "80",
        name: "Long An",
    },
    Province {
        code: "82",
        name: "Tiền Giang",
    },
    Province {
        code: "83",
        name: "Bến Tre",
    },
    Province {
        code: "84",
        name: "Trà Vinh",
    },
    Province {
        code: "86",
        name: "Vĩnh Long",
    },
    Province {
        code: "87",
        name: "Đồng Tháp",
    },
    Province {
        code: "89",
        name: "An Giang",
    },
    Province {
        code: "91",
        name: "Kiên Giang",
    },
    Province {
        code: "92",
        name: "Cần Thơ",
    },
    Province {
        code: "93",
        name: "Hậu Giang",
    },
    Province {
        code: "94",
        name: "Sóc Trăng",
    },
    Province {
        code: "95",
        name: "Bạc Liêu",
    },
    Province {
        code: "96",
        name: "Cà Mau",
    },
];

/// The province with this 2-digit GSO code.
pub fn by_code(code: &str) -> Option<&'static Province> {
    PROVINCES.iter().find(|p| p.code == code)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sixty_three_distinct_codes() {
        let mut codes: Vec<_> = super::PROVINCES.iter().map(|p| p.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 63);
        assert_eq!(super::by_code("42").map(|p| p.name), Some("Hà Tĩnh"));
        assert_eq!(super::by_code("03"), None);
    }
}
