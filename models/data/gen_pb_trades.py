#!/usr/bin/env python3
"""Generates the prime-brokerage demo data (models/pb_trade_assignment.lua):
60 bonds (20 government, 28 investment-grade and 12 high-yield corporates)
and a batch of 200 bond trades. Deterministic (random.Random(20261201)),
plain Python so it runs anywhere:  python3 models/data/gen_pb_trades.py

Prices are clean prices per 100 face; quantities are in units of 100 face,
so notional = quantity * price. Accrued interest per 100 face follows from
a coupon and days since the last coupon. 'vol' is the 10-day price
volatility used for the stochastic scenarios: government bonds by duration
(0.3% to 3.5%), investment grade 1% to 4%, high yield 3% to 8%.
"""
import csv
import os
import random

rnd = random.Random(20261201)
here = os.path.dirname(os.path.abspath(__file__))

securities = []
for i, (tenor, dur) in enumerate([(2, 1.9), (3, 2.8), (5, 4.6), (7, 6.3), (10, 8.7)] * 4):
    coupon = round(rnd.uniform(1.5, 4.5), 3)
    price = round(rnd.uniform(88, 102), 3)
    days = rnd.randint(0, 180)
    securities.append(dict(id=f"UST_{tenor}Y_{i // 5 + 1}", type="government", price=price,
                           accrued=round(coupon * days / 360, 4), vol=round(0.0035 * dur / 2, 5)))
for i in range(28):
    coupon = round(rnd.uniform(3, 6), 3)
    price = round(rnd.uniform(85, 106), 3)
    days = rnd.randint(0, 180)
    securities.append(dict(id=f"IG_{i + 1:02d}", type="corporate_ig", price=price,
                           accrued=round(coupon * days / 360, 4), vol=round(rnd.uniform(0.01, 0.04), 5)))
for i in range(12):
    coupon = round(rnd.uniform(6, 10), 3)
    price = round(rnd.uniform(70, 100), 3)
    days = rnd.randint(0, 180)
    securities.append(dict(id=f"HY_{i + 1:02d}", type="corporate_hy", price=price,
                           accrued=round(coupon * days / 360, 4), vol=round(rnd.uniform(0.03, 0.08), 5)))

with open(os.path.join(here, "pb_securities.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["id", "type", "price", "accrued", "vol"])
    w.writeheader()
    w.writerows(securities)

trades = []
for t in range(200):
    s = rnd.choice(securities)
    side = "buy" if rnd.random() < 0.7 else "sell"
    qty = rnd.choice([500, 1000, 2000, 2500, 5000, 7500, 10000])
    price = round(s["price"] * (1 + rnd.uniform(-0.002, 0.002)), 3)
    trades.append(dict(id=f"T{t + 1:03d}", side=side, security=s["id"], quantity=qty, price=price,
                       accrued=s["accrued"]))
with open(os.path.join(here, "pb_trades.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["id", "side", "security", "quantity", "price", "accrued"])
    w.writeheader()
    w.writerows(trades)
print(len(securities), "securities,", len(trades), "trades")
