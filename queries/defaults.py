"""Every tunable default of the dashboard, in one place."""

ACCEPT_DAYS = 15          # 《信访工作条例》: tell the petitioner within 15 days whether the case is accepted
HANDLE_DAYS = 60          # handle and reply within 60 days of acceptance
EXTENSION_DAYS = 30       # complex cases may be extended by up to 30 days
EVALUATION_WINDOW_DAYS = 30  # a closed case unrated this many days after closing counts as not evaluated
SATISFACTION_TARGET_PCT = 95.0  # the seeds quote 95.31% (Qujing) and 95.5% (Yiyang)
MIN_RANKED_CASES = 15     # units with fewer cases are not ranked (one practice, quarterly)
TRAILING_MONTHS = 12      # the default period: the last twelve months
DEMO_BANNER_KEY = "data_source"  # settings key: "demo" while the demo data is loaded
AUTHORITY_KEY = "issuing_authority"  # settings key: 发文机关 of circulars and reports
AS_OF_KEY = "as_of"              # settings key: the demo's fixed "today", when generated with --end
CACHE_TTL_SECONDS = 300   # how long a page keeps a query result
SMALL_SAMPLE_CASES = 10   # an indicator resting on fewer cases than this is flagged 样本少 beside a candidate
TREND_MIN_DENOMINATOR = 30  # a month whose rate rests on fewer cases is drawn hollow and labelled 样本少
SESSION_IDLE_MINUTES = 30  # a signed-in session signs out after this long without any action
