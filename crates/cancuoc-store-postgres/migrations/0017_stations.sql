-- Issue 19: mobile stations. A station asks to be enrolled with its two public keys
-- (Ed25519 to sign its packets, P-256 to receive its extracts); an officer of its district
-- or above approves it with the communes it may serve and the officers who may use it, and
-- may revoke it. Never deleted: a packet is judged by the station's state when it was made.
CREATE TABLE stations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    home_province TEXT NOT NULL,
    home_district TEXT NOT NULL,
    -- Always empty: a station serves communes of its district, so commune officers,
    -- whose scope filters on this column, see none.
    home_commune TEXT,
    -- Ed25519, base64: what the station's packets are verified with.
    signing_key TEXT NOT NULL UNIQUE,
    -- P-256 SubjectPublicKeyInfo, base64: what the station's extracts are sealed to.
    agreement_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'revoked')),
    -- Commune codes and usernames, comma-separated, set at approval.
    communes TEXT NOT NULL,
    officers TEXT NOT NULL,
    requested_micros BIGINT NOT NULL,
    approved_by TEXT,
    approved_micros BIGINT,
    revoked_by TEXT,
    revoked_micros BIGINT
);
CREATE INDEX stations_by_district ON stations (home_district, status);

-- The server's own keys for stations: 'extract' (Ed25519, signs the extracts) and 'packet'
-- (P-256, the packets are sealed to it), base64. The private halves are vault objects.
CREATE TABLE station_server_keys (
    purpose TEXT PRIMARY KEY CHECK (purpose IN ('extract', 'packet')),
    public_key TEXT NOT NULL,
    key_object TEXT NOT NULL,
    created_micros BIGINT NOT NULL
);

-- On a station's own database, one row: who the station is, the server it belongs to and
-- the server's keys it trusts (base64), the vault objects of its own private keys, and
-- when its extract expires.
CREATE TABLE station_identity (
    singleton BIGINT PRIMARY KEY CHECK (singleton = 1),
    id TEXT NOT NULL,
    server_url TEXT NOT NULL,
    unit TEXT NOT NULL,
    name TEXT NOT NULL,
    signing_object TEXT NOT NULL,
    agreement_object TEXT NOT NULL,
    server_extract_key TEXT NOT NULL,
    server_packet_key TEXT NOT NULL,
    enrolled_micros BIGINT NOT NULL,
    -- The vault object of the extract last pulled (vault objects are written once, so
    -- each extract is a new one) and when it stops being good (its signed expiry).
    extract_object TEXT,
    extract_expires_micros BIGINT
);

-- The packets stations pushed, with the answer given: a packet sent again is answered the
-- same, whatever happened since.
CREATE TABLE station_packets (
    id TEXT PRIMARY KEY,
    station TEXT NOT NULL REFERENCES stations (id),
    made_micros BIGINT NOT NULL,
    received_micros BIGINT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('filed', 'refused')),
    -- When filed: the application and its receipt number.
    application_key TEXT,
    receipt TEXT,
    -- When refused: why, as a code and a message the station shows.
    code TEXT,
    message TEXT
);
CREATE INDEX station_packets_by_station ON station_packets (station, received_micros);

-- A packet's bytes as they arrive, chunk by chunk (base64), until it is whole: a push cut
-- off halfway goes on from where it stopped.
CREATE TABLE station_uploads (
    packet TEXT NOT NULL,
    station TEXT NOT NULL REFERENCES stations (id),
    offset_bytes BIGINT NOT NULL,
    total_bytes BIGINT NOT NULL,
    bytes TEXT NOT NULL,
    PRIMARY KEY (packet, offset_bytes)
);
