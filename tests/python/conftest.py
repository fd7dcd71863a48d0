# The folio package from the build tree (ctest sets PYTHONPATH to
# BUILD/python and FOLIO_BIN to the CLI it compares with).
import os
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


@pytest.fixture
def folio_bin():
    path = os.environ.get("FOLIO_BIN")
    if not path:
        pytest.fail("FOLIO_BIN is not set (ctest sets it to the folio CLI of the build)")
    return path


@pytest.fixture
def prices():
    import pandas as pd
    # PyPortfolioOpt's 20 stock prices; the last 500 days, holes kept
    df = pd.read_csv(os.path.join(ROOT, "data", "pypfopt", "stock_prices.csv"), index_col="date",
                     float_precision="round_trip")
    return df.iloc[-500:]
