-- 0005 security: API keys of services, and idempotency keys per principal.

-- A key is "capa_<id>_<secret>": id is public (12 hex digits), only the
-- SHA-256 of the whole key is kept. A revoked key stays listed, it is never
-- deleted: the case log names key ids.
CREATE TABLE api_keys (
    id            text        NOT NULL CHECK (id ~ '^[0-9a-f]{12}$'),
    name          text        NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    secret_sha256 text        NOT NULL CHECK (secret_sha256 ~ '^[0-9a-f]{64}$'),
    roles         text[]      NOT NULL CHECK (cardinality(roles) > 0 AND roles <@
                                  ARRAY['viewer', 'reporter', 'contributor', 'approver', 'admin']),
    delegate      boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    CONSTRAINT api_keys_pkey PRIMARY KEY (id)
);
-- one active key per name; a name may be reused after its key was revoked
CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;

-- The same Idempotency-Key from two principals names two requests.
-- Keys claimed before authentication existed belong to nobody ('').
ALTER TABLE idempotency_keys ADD COLUMN principal text NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys ALTER COLUMN principal DROP DEFAULT;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (principal, key);
