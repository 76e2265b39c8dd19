-- Deliveries of webhooks already handled, by the sender's id: a replayed delivery is ignored.
-- Kept a while past the age a delivery may have (older ones are refused anyway).
CREATE TABLE webhook_deliveries (
    id           TEXT NOT NULL PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
    received_at  TEXT NOT NULL
) STRICT;
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);
