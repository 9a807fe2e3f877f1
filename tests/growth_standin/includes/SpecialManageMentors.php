<?php
/**
 * Special:ManageMentors, reduced to what GrowthExperiments shows everyone: a sortable table of
 * the mentors whose cells carry data-sort-value. The status cell's value is the true away
 * state: -1 active, the Unix time of the return date when away by date, PHP_INT_MAX when away
 * because the mentor is blocked sitewide. The last-active cell's value is a Unix time.
 *
 * Written for the tests from GrowthExperiments' behaviour; no code was copied.
 */

namespace GrowthStandin;

use MediaWiki\Html\Html;
use MediaWiki\Linker\Linker;
use MediaWiki\MediaWikiServices;
use MediaWiki\SpecialPage\SpecialPage;
use MediaWiki\User\UserIdentity;
use Wikimedia\Timestamp\ConvertibleTimestamp;

class SpecialManageMentors extends SpecialPage {

	public function __construct() {
		parent::__construct( 'ManageMentors' );
	}

	/** @inheritDoc */
	public function execute( $subPage ) {
		$this->setHeaders();
		$lookup = MediaWikiServices::getInstance()->getUserIdentityLookup();
		$rows = [];
		$names = [];
		foreach ( MentorList::loadEntries() as $id => $entry ) {
			$user = $lookup->getUserIdentityByUserId( $id );
			if ( $user ) {
				$names[$user->getName()] = [ $user, $entry ];
			}
		}
		ksort( $names );
		$number = 0;
		foreach ( $names as [ $user, $entry ] ) {
			$number++;
			$weight = MentorList::getWeight( $entry );
			[ $statusText, $statusRank ] = $this->status( $user );
			$lastActive = $this->lastActive( $user );
			$rows[] = Html::rawElement( 'tr', [], implode( "\n", [
				Html::element( 'td', [], (string)$number ),
				Html::rawElement( 'td', [ 'data-sort-value' => $user->getName() ],
					Linker::userLink( $user->getId(), $user->getName() ) ),
				Html::element( 'td', [ 'data-sort-value' => $lastActive ],
					$this->getLanguage()->userTimeAndDate( wfTimestamp( TS_MW, $lastActive ), $this->getUser() ) ),
				Html::element( 'td', [ 'data-sort-value' => $weight ], (string)$weight ),
				Html::element( 'td', [ 'data-sort-value' => $statusRank ], $statusText ),
				Html::element( 'td', [], MentorList::getMessage( $entry ) ?? '' ),
			] ) );
		}
		$header = Html::rawElement( 'tr', [], implode( '', [
			Html::element( 'th', [], '#' ),
			Html::element( 'th', [], $this->msg( 'growthstandin-manage-mentors-username' )->text() ),
			Html::element( 'th', [], $this->msg( 'growthstandin-manage-mentors-last-active' )->text() ),
			Html::element( 'th', [], $this->msg( 'growthstandin-manage-mentors-weight' )->text() ),
			Html::element( 'th', [], $this->msg( 'growthstandin-manage-mentors-status' )->text() ),
			Html::element( 'th', [], $this->msg( 'growthstandin-manage-mentors-intro' )->text() ),
		] ) );
		$this->getOutput()->addHTML( Html::rawElement( 'table', [ 'class' => 'wikitable sortable' ],
			Html::rawElement( 'thead', [], $header ) . Html::rawElement( 'tbody', [], implode( "\n", $rows ) ) ) );
	}

	/** @return array{0:string,1:int} */
	private function status( UserIdentity $mentor ): array {
		if ( Mentorship::isAwayBecauseBlockOrLock( $mentor ) ) {
			return [ $this->msg( 'blockedtitle' )->text(), PHP_INT_MAX ];
		}
		$away = Mentorship::getAwayTimestamp( $mentor );
		if ( $away !== null ) {
			return [ $this->msg( 'growthstandin-manage-mentors-away-until' )
				->params( $this->getLanguage()->userDate( $away, $this->getUser() ) )->text(),
				(int)ConvertibleTimestamp::convert( TS_UNIX, $away ) ];
		}
		return [ $this->msg( 'growthstandin-manage-mentors-active' )->text(), -1 ];
	}

	/** Unix time of the mentor's last edit, else of the registration. */
	private function lastActive( UserIdentity $mentor ): int {
		$services = MediaWikiServices::getInstance();
		$last = $services->getUserEditTracker()->getLatestEditTimestamp( $mentor )
			?? $services->getUserRegistrationLookup()->getRegistration( $mentor )
			?? ConvertibleTimestamp::now();
		return (int)ConvertibleTimestamp::convert( TS_UNIX, $last );
	}

	/** @inheritDoc */
	public function getDescription() {
		// GrowthExperiments' own title message, which uselang=qqx shows.
		return $this->msg( 'growthexperiments-manage-mentors-title' );
	}

	/** @inheritDoc */
	protected function getGroupName() {
		return 'users';
	}
}
