-- 031_screened_update: a party screened again keeps its latest result.
--
-- screened_parties holds the last known result of every screened name so a
-- new list version can be rescreened against it (030_parties.sql). The
-- daemon now updates a name's row when it is screened again (result, best
-- candidate, list versions, last_screened), so a disposition recorded in
-- between is not reported as a change by the next rescreen.
GRANT SELECT, UPDATE ON screened_parties TO eard_writer;
