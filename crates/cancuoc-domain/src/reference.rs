//! Code lists of the register: ethnic groups, religions, nationalities.
