* Problem:    plant
* Class:      LP
* Rows:       14
* Columns:    5
* Non-zeros:  31
* Format:     Free MPS
*
NAME plant
OBJSENSE
    MAX
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
COLUMNS
 make[bolts] R0000000 3.25 demand_max[bolts] 1
 make[bolts] demand_min[bolts] 1 capacity[labour] 0.4
 make[bolts] capacity[paint] 0.05 capacity[press] 0.1
 make[bolts] capacity[lathe] 0.3
 make[nuts] R0000000 2.1 demand_max[nuts] 1
 make[nuts] demand_min[nuts] 1 capacity[labour] 0.3
 make[nuts] capacity[paint] 0.05 capacity[press] 0.25
 make[nuts] capacity[lathe] 0.2
 make[gears] R0000000 7.75 mix -0.25
 make[gears] demand_max[gears] 1 capacity[labour] 1.3
 make[gears] capacity[paint] 0.2 capacity[press] 0.6
 make[gears] capacity[lathe] 1.1
 make[shafts] R0000000 5.4 demand_max[shafts] 1
 make[shafts] demand_min[shafts] 1 capacity[labour] 0.7
 make[shafts] capacity[paint] 0.3 capacity[press] 0.2
 make[shafts] capacity[lathe] 0.9
 make[frames] R0000000 11.3 mix 1
 make[frames] demand_max[frames] 1 demand_min[frames] 1
 make[frames] capacity[labour] 2.1 capacity[paint] 0.8
 make[frames] capacity[press] 1.7 capacity[lathe] 0.5
RHS
 RHS1 capacity[lathe] 310 capacity[press] 270
 RHS1 capacity[paint] 95 capacity[labour] 520
 RHS1 demand_min[bolts] 40 demand_min[nuts] 60
 RHS1 demand_min[shafts] 15 demand_min[frames] 10
 RHS1 demand_max[bolts] 300 demand_max[nuts] 250
 RHS1 demand_max[gears] 120 demand_max[shafts] 200
 RHS1 demand_max[frames] 90
ENDATA
