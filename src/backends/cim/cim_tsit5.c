/* Tsitouras 5(4) (Ch. Tsitouras, "Runge-Kutta pairs of order 5(4)
 * satisfying only the first column simplifying assumption", Computers &
 * Mathematics with Applications 62 (2011) 770-775). SUNDIALS 6.4 does not
 * ship it; ERKStep takes it as a user table. The fifth-order weights b are
 * the last stage's row (first same as last); the embedded fourth-order
 * weights are d = b - btilde with the paper's error coefficients. The
 * tests check both against the order conditions. */
#include "cim_internal.h"

#include <string.h>

void cim_tsit5_coefficients(double c[7], double A[49], double b[7], double d[7])
{
    static const double cc[7] = { 0, 0.161, 0.327, 0.9, 0.9800255409045097, 1, 1 };
    static const double AA[7][7] = {
        { 0 },
        { 0.161 },
        { -0.008480655492356989, 0.335480655492357 },
        { 2.897153057105493, -6.359448489975075, 4.3622954328695815 },
        { 5.325864828439257, -11.748883564062828, 7.4955393428898365, -0.09249506636175525 },
        { 5.86145544294642, -12.92096931784711, 8.159367898576159, -0.071584973281401, -0.028269050394068383 },
        { 0.09646076681806523, 0.01, 0.4798896504144996, 1.379008574103742, -3.290069515436081,
          2.324710524099774 },
    };
    /* b - bhat, the paper's error estimate */
    static const double bt[7] = { -0.00178001105222577714, -0.0008164344596567469, 0.007880878010261995,
                                  -0.1447110071732629, 0.5823571654525552, -0.45808210592918697,
                                  1.0 / 66.0 };
    memcpy(c, cc, sizeof cc);
    memcpy(A, AA, sizeof AA);
    for (int i = 0; i < 7; i++) {
        b[i] = i < 6 ? AA[6][i] : 0.0;
        d[i] = b[i] - bt[i];
    }
}
