# The tiny LP solved by cvxopt (minimise -3x - 5y): the Python baseline.
from cvxopt import matrix, solvers
solvers.options["show_progress"] = False
c = matrix([-3.0, -5.0])
G = matrix([[1.0, 0.0, 3.0, -1.0, 0.0], [0.0, 2.0, 2.0, 0.0, -1.0]])
h = matrix([4.0, 12.0, 18.0, 0.0, 0.0])
sol = solvers.lp(c, G, h)
print(sol["status"], -sol["primal objective"])
