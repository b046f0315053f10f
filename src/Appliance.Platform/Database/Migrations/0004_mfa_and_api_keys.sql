-- MFA (TOTP with one-time recovery codes, a per-role requirement) and API keys for integrations.

-- TOTP secrets are sealed with the field-encryption key (AES-GCM, bound to the user id), never stored in clear.
ALTER TABLE users ADD COLUMN mfa_secret bytea;
-- set by enrolment, moved to mfa_secret when the first code confirms it
ALTER TABLE users ADD COLUMN mfa_pending_secret bytea;
ALTER TABLE users ADD COLUMN mfa_enabled_at timestamptz;
-- the last accepted TOTP time step: a code is accepted only for a later step, so a code works once
ALTER TABLE users ADD COLUMN mfa_last_step bigint;
-- per-user salt of the recovery-code hashes; replaced whenever new codes are generated
ALTER TABLE users ADD COLUMN mfa_recovery_salt bytea;
ALTER TABLE users ADD CONSTRAINT users_mfa_complete CHECK ((mfa_secret IS NULL) = (mfa_enabled_at IS NULL));

CREATE TABLE mfa_recovery_codes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id),
    code_hash  bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);
CREATE INDEX mfa_recovery_codes_user ON mfa_recovery_codes (user_id) WHERE used_at IS NULL;

CREATE TABLE role_policies (
    role         text PRIMARY KEY CHECK (role IN ('system_admin', 'service_manager', 'technician_l1', 'technician_l2', 'billing', 'customer_admin')),
    mfa_required boolean NOT NULL DEFAULT false,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO role_policies (role) VALUES
    ('system_admin'), ('service_manager'), ('technician_l1'), ('technician_l2'), ('billing'), ('customer_admin');

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    -- the public part of psa_<prefix>_<secret>; the lookup key of every request made with the key
    prefix       text NOT NULL UNIQUE CHECK (prefix ~ '^[A-Za-z0-9]{8}$'),
    -- SHA-256 of the secret part: the secret has 238 random bits, so a fast hash is enough
    secret_hash  bytea NOT NULL CHECK (octet_length(secret_hash) = 32),
    permissions  text[] NOT NULL CHECK (cardinality(permissions) > 0),
    created_by   uuid NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    revoked_by   uuid REFERENCES users (id)
);
CREATE INDEX api_keys_created_at ON api_keys (created_at DESC, id);
