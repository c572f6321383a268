//! Beyond the makers: finished goods moving to resellers (goods shipments, in pieces), the
//! sales a platform reports for its listings, and the provinces goods are delivered to.

use super::{Batch, Id, Listing, Party, Unit};
use serde::{Deserialize, Serialize};

/// Pieces of a batch moved from its maker or a distributor to a distributor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoodsShipment {
    pub batch: Id<Batch>,
    pub from: Id<Party>,
    pub to: Id<Party>,
    pub pieces: u32,
    /// UTC milliseconds.
    pub shipped_at: i64,
    pub created_at: i64,
}

/// Pieces sold through a listing on one day (China time), as its platform reports them. No
/// consumer's personal data: at most the province of delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sale {
    pub listing: Id<Listing>,
    /// Days since 1970-01-01 (the day of sale in China time).
    pub day: i32,
    pub pieces: u32,
    pub province: Option<Province>,
    /// The unit serials sold, where the platform knows them.
    pub serials: Vec<Id<Unit>>,
    /// Which batches the pieces came from, decided when the sale was recorded: a unit's
    /// batch, else the listing's batches in order, each up to what the seller held of it.
    pub batches: Vec<(Id<Batch>, u32)>,
    pub created_at: i64,
    /// Set by a correction (the pieces and batches are then the corrected ones).
    pub corrected_at: Option<i64>,
    pub note: Option<String>,
}

impl Sale {
    /// Pieces of `batch` this sale took.
    pub fn pieces_of(&self, batch: Id<Batch>) -> u32 {
        self.batches
            .iter()
            .filter(|(b, _)| *b == batch)
            .map(|(_, n)| n)
            .sum()
    }
}

/// A provincial-level division of China (GB/T 2260: the first two digits of a division
/// code), the only place of delivery a sale may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Province(u8);

/// GB/T 2260 provincial-level divisions: code, Chinese name (short, full), English name.
const PROVINCES: [(u8, &str, &str, &str); 34] = [
    (11, "北京", "北京市", "Beijing"),
    (12, "天津", "天津市", "Tianjin"),
    (13, "河北", "河北省", "Hebei"),
    (14, "山西", "山西省", "Shanxi"),
    (15, "内蒙古", "内蒙古自治区", "Inner Mongolia"),
    (21, "辽宁", "辽宁省", "Liaoning"),
    (22, "吉林", "吉林省", "Jilin"),
    (23, "黑龙江", "黑龙江省", "Heilongjiang"),
    (31, "上海", "上海市", "Shanghai"),
    (32, "江苏", "江苏省", "Jiangsu"),
    (33, "浙江", "浙江省", "Zhejiang"),
    (34, "安徽", "安徽省", "Anhui"),
    (35, "福建", "福建省", "Fujian"),
    (36, "江西", "江西省", "Jiangxi"),
    (37, "山东", "山东省", "Shandong"),
    (41, "河南", "河南省", "Henan"),
    (42, "湖北", "湖北省", "Hubei"),
    (43, "湖南", "湖南省", "Hunan"),
    (44, "广东", "广东省", "Guangdong"),
    (45, "广西", "广西壮族自治区", "Guangxi"),
    (46, "海南", "海南省", "Hainan"),
    (50, "重庆", "重庆市", "Chongqing"),
    (51, "四川", "四川省", "Sichuan"),
    (52, "贵州", "贵州省", "Guizhou"),
    (53, "云南", "云南省", "Yunnan"),
    (54, "西藏", "西藏自治区", "Xizang"),
    (61, "陕西", "陕西省", "Shaanxi"),
    (62, "甘肃", "甘肃省", "Gansu"),
    (63, "青海", "青海省", "Qinghai"),
    (64, "宁夏", "宁夏回族自治区", "Ningxia"),
    (65, "新疆", "新疆维吾尔自治区", "Xinjiang"),
    (71, "台湾", "台湾省", "Taiwan"),
    (81, "香港", "香港特别行政区", "Hong Kong"),
    (82, "澳门", "澳门特别行政区", "Macao"),
];

impl Province {
    /// Parses a province given as its GB/T 2260 code (`32` or `320000`), its Chinese name
    /// (`江苏`, `江苏省`) or its English name (`Jiangsu`, any case).
    pub fn parse(s: &str) -> Result<Province, String> {
        let t = s.trim();
        let code = match t.len() {
            2 | 6 if t.bytes().all(|b| b.is_ascii_digit()) => {
                if t.len() == 6 && &t[2..] != "0000" {
                    return Err(format!(
                        "province '{t}' is a division below a province; give the province's code ({}0000)",
                        &t[..2]
                    ));
                }
                t[..2].parse::<u8>().ok()
            }
            _ => None,
        };
        PROVINCES
            .iter()
            .find(|(c, short, full, en)| {
                Some(*c) == code || t == *short || t == *full || t.eq_ignore_ascii_case(en)
            })
            .map(|(c, ..)| Province(*c))
            .ok_or_else(|| {
                format!(
                    "province '{}' is not a provincial-level division of China (GB/T 2260 code such as 32 or 320000, or a name such as 江苏 or Jiangsu)",
                    t.chars().take(40).collect::<String>()
                )
            })
    }

    fn row(self) -> (u8, &'static str, &'static str, &'static str) {
        PROVINCES
            .iter()
            .copied()
            .find(|(c, ..)| *c == self.0)
            .unwrap_or((self.0, "", "", ""))
    }

    /// The two-digit code.
    pub fn code_u8(self) -> u8 {
        self.0
    }

    /// The six-digit GB/T 2260 code (`320000`).
    pub fn code(self) -> String {
        format!("{:02}0000", self.0)
    }

    /// The Chinese short name (`江苏`).
    pub fn name_zh(self) -> &'static str {
        self.row().1
    }

    pub fn name_en(self) -> &'static str {
        self.row().3
    }

    /// Every province, in code order.
    pub fn all() -> impl Iterator<Item = Province> {
        PROVINCES.iter().map(|(c, ..)| Province(*c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provinces_parse_by_code_and_name() {
        for s in [
            "32",
            "320000",
            "江苏",
            "江苏省",
            "Jiangsu",
            "jiangsu",
            " 32 ",
        ] {
            assert_eq!(
                Province::parse(s).map(Province::code),
                Ok("320000".into()),
                "{s}"
            );
        }
        assert_eq!(
            Province::parse("广西壮族自治区").map(|p| p.name_zh()),
            Ok("广西")
        );
        assert!(Province::parse("320300").unwrap_err().contains("320000"));
        for bad in ["", "99", "Jiangsu Province", "3", "990000", "江"] {
            assert!(Province::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Province::all().count(), 34);
    }

    #[test]
    fn a_sale_counts_the_pieces_of_each_batch() {
        let s = Sale {
            listing: Id::new(1),
            day: 0,
            pieces: 5,
            province: None,
            serials: vec![],
            batches: vec![(Id::new(2), 3), (Id::new(3), 2)],
            created_at: 0,
            corrected_at: None,
            note: None,
        };
        assert_eq!(s.pieces_of(Id::new(2)), 3);
        assert_eq!(s.pieces_of(Id::new(3)), 2);
        assert_eq!(s.pieces_of(Id::new(4)), 0);
    }
}
