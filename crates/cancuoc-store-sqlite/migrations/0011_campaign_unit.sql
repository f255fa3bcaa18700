-- A campaign is run by a police unit: the ministry (national) or a province police. Quotas
-- are set for that unit and the units under it only. Campaigns made before were national.
ALTER TABLE campaigns ADD COLUMN unit TEXT NOT NULL DEFAULT 'BCA';
