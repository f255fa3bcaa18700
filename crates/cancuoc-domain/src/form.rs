//! Collection forms (phiếu thu thập thông tin dân cư): one row of an import file,
//! validated into a citizen record or rejected with reasons.
