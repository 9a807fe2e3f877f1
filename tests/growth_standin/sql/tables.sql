-- GrowthStandin (test stand-in for GrowthExperiments): mentor/mentee table, SQLite.
-- Same table and column names as GrowthExperiments so the stand-in can be dumped like the real one.
CREATE TABLE /*_*/growthexperiments_mentor_mentee (
  gemm_mentee_id INT UNSIGNED NOT NULL,
  gemm_mentor_role VARBINARY(255) NOT NULL,
  gemm_mentor_id INT UNSIGNED NOT NULL,
  gemm_mentee_is_active TINYINT DEFAULT 1 NOT NULL,
  PRIMARY KEY(gemm_mentee_id, gemm_mentor_role)
);

CREATE INDEX /*i*/gemm_mentor ON /*_*/growthexperiments_mentor_mentee (gemm_mentor_id, gemm_mentee_is_active);
