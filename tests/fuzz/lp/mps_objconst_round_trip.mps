* Problem:    mipms
* Class:      MIP
* Rows:       3
* Columns:    5 (4 integer, 1 binary)
* Non-zeros:  8
* Format:     Free MPS
*
NAME mipms
ROWS
 N R0000000
 L c1
 E c2
 E c3
COLUMNS
 M0000001 'MARKER' 'INTORG'
 x[1] R0000000 -1 c3 1
 x[1] c1 1
 x[2] R0000000 -2 c1 2
 x[3] c3 -1 c2 1
 M0000002 'MARKER' 'INTEND'
 y R0000000 0.5 c2 1
 y c1 -1
 M0000003 'MARKER' 'INTORG'
 b R0000000 -1 c2 3
 M0000004 'MARKER' 'INTEND'
RHS
 RHS1 R0000000 3 c1 7.5
 RHS1 c2 1 c3 1
RANGES
 RNG1 c2 11
BOUNDS
 UP BND1 x[1] 10
 UP BND1 x[2] 10
 UP BND1 x[3] 10
 LO BND1 y -5
 UP BND1 y 5
 UP BND1 b 1
ENDATA
