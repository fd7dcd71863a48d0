* Problem:    plant
* Class:      LP
* Rows:       15
* Columns:    5
* Non-zeros:  36
* Format:     Free MPS
*
NAME plant
ROWS
 N R0000000
 L capacity[lathe]
 L capacity[press]
 L capacity[paint]
 L capacity[labour]
 G demand_min[bolts]
 G demand_min[nuts]
 G demand_min[shafts]
 G demand_min[frames]
 L demand_max[bolts]
 L demand_max[nuts]
 L demand_max[gears]
 L demand_max[shafts]
 L demand_max[frames]
 G mix
 G target
COLUMNS
 make[bolts] R0000000 1.2 target 1
 make[bolts] demand_max[bolts] 1 demand_min[bolts] 1
 make[bolts] capacity[labour] 0.4 capacity[paint] 0.05
 make[bolts] capacity[press] 0.1 capacity[lathe] 0.3
 make[nuts] R0000000 0.8 target 1
 make[nuts] demand_max[nuts] 1 demand_min[nuts] 1
 make[nuts] capacity[labour] 0.3 capacity[paint] 0.05
 make[nuts] capacity[press] 0.25 capacity[lathe] 0.2
 make[gears] R0000000 4.1 target 1
 make[gears] mix -0.25 demand_max[gears] 1
 make[gears] capacity[labour] 1.3 capacity[paint] 0.2
 make[gears] capacity[press] 0.6 capacity[lathe] 1.1
 make[shafts] R0000000 2.6 target 1
 make[shafts] demand_max[shafts] 1 demand_min[shafts] 1
 make[shafts] capacity[labour] 0.7 capacity[paint] 0.3
 make[shafts] capacity[press] 0.2 capacity[lathe] 0.9
 make[frames] R0000000 6.9 target 1
 make[frames] mix 1 demand_max[frames] 1
 make[frames] demand_min[frames] 1 capacity[labour] 2.1
 make[frames] capacity[paint] 0.8 capacity[press] 1.7
 make[frames] capacity[lathe] 0.5
RHS
 RHS1 capacity[lathe] 310 capacity[press] 270
 RHS1 capacity[paint] 95 capacity[labour] 520
 RHS1 demand_min[bolts] 40 demand_min[nuts] 60
 RHS1 demand_min[shafts] 15 demand_min[frames] 10
 RHS1 demand_max[bolts] 300 demand_max[nuts] 250
 RHS1 demand_max[gears] 120 demand_max[shafts] 200
 RHS1 demand_max[frames] 90 target 450
ENDATA
