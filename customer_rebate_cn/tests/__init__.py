from . import test_cn_amount_in_words
from . import test_cn_payout_vat
