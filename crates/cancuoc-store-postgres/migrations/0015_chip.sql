-- Issue 17: the chip. The country signing CA's and the Document Signers' certificates (DER,
-- base64), each with the vault object that holds its private key sealed under the vault's
-- master key: the database never holds a private key. Serial numbers are unique across
-- both kinds, as the CSCA issues them.
CREATE TABLE pki_certificates (
    serial BIGINT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('csca', 'ds')),
    certificate TEXT NOT NULL,
    not_before_micros BIGINT NOT NULL,
    not_after_micros BIGINT NOT NULL,
    usage_from_micros BIGINT NOT NULL,
    usage_until_micros BIGINT NOT NULL,
    key_object TEXT NOT NULL,
    revoked_micros BIGINT,
    created_micros BIGINT NOT NULL
);

-- The CSCA's revocation lists, each signed; the highest number is the current one.
CREATE TABLE pki_crls (
    number BIGINT PRIMARY KEY,
    crl TEXT NOT NULL,
    issued_micros BIGINT NOT NULL
);

-- The production line's public keys (SubjectPublicKeyInfo, base64): personalisation
-- packages are encrypted to the newest.
CREATE TABLE production_line_keys (
    id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    registered_micros BIGINT NOT NULL,
    registered_by TEXT NOT NULL
);

-- A produced card's chip: the vault objects of its public files and of its personalisation
-- package (sealed to a production line key), the Document Signer that signed it, and the
-- chip's own public keys (the private halves left only inside the package).
CREATE TABLE card_chips (
    application_key TEXT PRIMARY KEY REFERENCES cards (application_key),
    ds_serial BIGINT NOT NULL REFERENCES pki_certificates (serial),
    files_object TEXT NOT NULL,
    package_object TEXT NOT NULL,
    line_key TEXT NOT NULL REFERENCES production_line_keys (id),
    chip_authentication_key TEXT NOT NULL,
    active_authentication_key TEXT NOT NULL,
    created_micros BIGINT NOT NULL
);
